import type { ByteRange } from "@printfab/storage";

/** What a `Range` header asks of a representation of `size` bytes (RFC 9110, section 14). */
export type RangeRequest = { kind: "full" } | { kind: "partial"; range: ByteRange } | { kind: "unsatisfiable" };

const FULL: RangeRequest = { kind: "full" };
const UNSATISFIABLE: RangeRequest = { kind: "unsatisfiable" };

/** Far longer than any honest single range; longer headers are ignored without being looked at. */
const MAX_HEADER_LENGTH = 100;
const SINGLE_RANGE = /^bytes=[ \t]*(\d*)-(\d*)[ \t]*$/i;

/**
 * Reads a `Range` header, serving one range only. Whatever the server may ignore it ignores, answering
 * the whole representation: another unit, bad syntax, and several ranges (which cost a multipart answer
 * and are the classic amplification: overlapping or tiny ranges by the thousand). Numbers past any size
 * (even past 2^53) are only "past the end": a last position is cut at the end, a first one is a 416.
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined || header.length > MAX_HEADER_LENGTH) return FULL;
  const m = SINGLE_RANGE.exec(header);
  if (!m) return FULL;
  const [, first = "", last = ""] = m;
  if (first === "") {
    // A suffix: the last N bytes (all of them when N is larger); N = 0 or no N at all asks for nothing.
    const n = last === "" ? 0 : Number(last);
    if (n === 0 || size === 0) return last === "" ? FULL : UNSATISFIABLE;
    return { kind: "partial", range: { start: Math.max(0, size - n), end: size - 1 } };
  }
  const start = Number(first);
  const end = last === "" ? Number.POSITIVE_INFINITY : Number(last);
  if (end < start) return FULL;
  if (start >= size) return UNSATISFIABLE;
  return { kind: "partial", range: { start, end: Math.min(end, size - 1) } };
}

/**
 * Whether an `If-Range` lets the range apply: absent, or a strong ETag equal to the current one. A date,
 * a weak tag or a header sent twice does not: the client then gets the whole representation.
 */
export function ifRangeHolds(ifRange: string | string[] | undefined, etag: string): boolean {
  return ifRange === undefined || (typeof ifRange === "string" && ifRange.trim() === etag);
}
