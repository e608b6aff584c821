// Microversions are data: the supported range, parsing of the OpenStack-API-Version header, and
// comparisons handlers branch on (`v.atLeast(1, 15)`).
import { HttpError, notAcceptable as notAcceptableError } from "./errors.js";
import { pyRepr } from "../python/repr.js";
import { at, first } from "@berth/client/common";

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

function notAcceptable(detail: string, max: string = MAX_VERSION): HttpError {
  return notAcceptableError(`Invalid microversion: ${detail}`, { max_version: max, min_version: MIN_VERSION });
}

/** The 406 for a version above the maximum, as a server whose maximum is `max` answers it (the conformance kit's lower maximum). */
export function unacceptableVersion(value: string, max: string = MAX_VERSION): HttpError {
  return notAcceptable(`Unacceptable version header: ${value}`, max);
}

/** The placement entry of an OpenStack-API-Version header (may list several services; the last wins). */
export function placementEntry(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(",").reverse()) {
    const m = /^(\S+)\s+(.+)$/s.exec(part.trim());
    if (m && at(m, 1).toLowerCase() === "placement") return at(m, 2).trim();
  }
  return undefined;
}

/** Python's int() on a string: surrounding whitespace, a sign, digits with single underscores. */
function pyInt(s: string): number | undefined {
  const t = s.trim();
  if (!/^[+-]?\d+(_\d+)*$/.test(t)) return undefined;
  return Number(t.replace(/_/g, ""));
}

/** The requested version; throws 400 for a malformed value and 406 for one outside the range. */
export function parseVersionHeader(header: string | null): Version {
  const raw = placementEntry(header);
  if (raw === undefined) return MIN;
  // NOTE: as the reference: `latest` is case-sensitive, the value splits once on the first dot, and
  // each part is read as Python's int() reads it, so "1.05" is 1.5 and "1.2.3" is malformed.
  const value = raw;
  if (value === "latest") return MAX;
  const parts = value.split(".");
  const head = [first(parts), ...(parts.length > 1 ? [parts.slice(1).join(".")] : [])];
  const nums: number[] = [];
  for (const p of head) {
    const n = pyInt(p);
    if (n === undefined) throw invalid(value, `invalid literal for int() with base 10: ${pyRepr(p)}`);
    nums.push(n);
  }
  if (nums.length < 2) throw invalid(value, "Version.__new__() missing 1 required positional argument: 'minor'");
  const v = new Version(first(nums), at(nums, 1));
  if (v.major !== 1 || v.minor < 0 || v.minor > MAX_MINOR) throw unacceptableVersion(value);
  return v;
}

function invalid(value: string, why: string): HttpError {
  return new HttpError(400, `Invalid microversion: invalid version string: ${value}; ${why}`);
}
