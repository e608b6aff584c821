// Microversions are data: the supported range, parsing of the OpenStack-API-Version header, and
// comparisons handlers branch on (`v.atLeast(1, 15)`).
import { HttpError } from "./errors.js";

export const MIN_VERSION = "1.0";
export const MAX_VERSION = "1.39";
const MAX_MINOR = 39;

export class Version {
  constructor(
    readonly major: number,
    readonly minor: number,
  ) {}
  atLeast(major: number, minor: number): boolean {
    return this.major > major || (this.major === major && this.minor >= minor);
  }
  lessThan(major: number, minor: number): boolean {
    return !this.atLeast(major, minor);
  }
  toString(): string {
    return `${this.major}.${this.minor}`;
  }
}

export const MIN = new Version(1, 0);
export const MAX = new Version(1, MAX_MINOR);

function notAcceptable(detail: string): HttpError {
  return new HttpError(
    406,
    `The resource could not be generated that was acceptable to your browser (content of type application/json. \n\n Invalid microversion: ${detail}`,
    undefined,
    {},
    { max_version: MAX_VERSION, min_version: MIN_VERSION },
    true,
  );
}

/** Picks the placement entry out of an OpenStack-API-Version header value (may list several services). */
function placementEntry(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(",")) {
    const [service, ...rest] = part.trim().split(/\s+/);
    if (service?.toLowerCase() === "placement") return rest.join(" ");
  }
  return undefined;
}

/** The requested version; throws 400 for a malformed value and 406 for one outside the range. */
export function parseVersionHeader(header: string | null): Version {
  const raw = placementEntry(header);
  if (raw === undefined) return MIN;
  const value = raw.trim();
  if (value.toLowerCase() === "latest") return MAX;
  const m = /^(\S+?)\.(\S+)$/.exec(value);
  const parts = value.split(".");
  if (!m || parts.length !== 2) {
    throw new HttpError(400, `Invalid microversion: invalid version string: ${value}`);
  }
  const bad = parts.find((p) => !/^\s*[+-]?\d+\s*$/.test(p));
  if (bad !== undefined) {
    throw new HttpError(400, `Invalid microversion: invalid version string: ${value}; invalid literal for int() with base 10: '${bad}'`);
  }
  const v = new Version(Number(parts[0]), Number(parts[1]));
  if (v.major !== 1 || v.minor < 0 || v.minor > MAX_MINOR) throw notAcceptable(`Unacceptable version header: ${value}`);
  return v;
}
