# Berth in a container: `berth serve` on port 8000, reading /etc/placement/placement.conf (mount it,
# with the policy file it names), as the non-root user placement. See docs/deploy.md.
#
#   docker build -t berth .
#   docker run -d -p 8778:8000 -v /etc/placement:/etc/placement:ro berth
#   docker run --rm -v /etc/placement:/etc/placement:ro berth db sync      # any other berth command

FROM node:20-bookworm-slim AS build
# NOTE: better-sqlite3 compiles itself when no prebuilt binary matches the platform.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.base.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
# NOTE: the workspaces (the CLI and the SDK behind `berth`'s client commands; @berth/testing is
# built here but not needed at run time).
COPY packages ./packages
RUN npm ci && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
RUN groupadd --system placement \
    && useradd --system --gid placement --home-dir /var/lib/placement --create-home --shell /usr/sbin/nologin placement \
    && mkdir -p /etc/placement
WORKDIR /opt/berth
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/bin ./bin
# node_modules/@berth/cli and @berth/client are links into packages/.
COPY --from=build /src/packages ./packages
USER placement
EXPOSE 8000
# NOTE: exec form, so SIGTERM from `docker stop` reaches berth, which finishes the requests in flight.
ENTRYPOINT ["node", "/opt/berth/bin/berth.js"]
CMD ["serve", "--config-file", "/etc/placement/placement.conf", "--host", "0.0.0.0", "--port", "8000"]
