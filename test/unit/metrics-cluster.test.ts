// A cluster primary serves the sum of its workers' metrics (src/metrics-cluster.ts), with real
// node:cluster workers (test/fixtures/cluster-metrics.mjs, on the compiled server).
import { execFile } from "node:child_process";
import { expect, it } from "vitest";

it("aggregates the workers' request counts in the primary", async () => {
  const out = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ["test/fixtures/cluster-metrics.mjs"], { timeout: 30_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
  expect(out.split("\n")[0]).toMatch(/^text\/plain; version=0\.0\.4/);
  // 2 requests in one worker, 3 in the other.
  expect(out).toContain('berth_http_requests_total{route="/resource_providers",method="GET",status="200"} 5');
  expect(out).toContain('berth_http_request_duration_seconds_count{route="/resource_providers",method="GET"} 5');
});
