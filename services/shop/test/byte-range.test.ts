import { describe, expect, it } from "vitest";
import { ifRangeHolds, parseRange } from "../src/byte-range.ts";

const part = (start: number, end: number) => ({ kind: "partial", range: { start, end } });
const FULL = { kind: "full" };
const UNSATISFIABLE = { kind: "unsatisfiable" };

describe("parseRange", () => {
  it("reads the three forms of a single range", () => {
    expect(parseRange("bytes=0-99", 1000)).toEqual(part(0, 99));
    expect(parseRange("bytes=10-10", 1000)).toEqual(part(10, 10));
    expect(parseRange("bytes=900-", 1000)).toEqual(part(900, 999));
    expect(parseRange("bytes=-100", 1000)).toEqual(part(900, 999));
    expect(parseRange("Bytes= 5-6 ", 1000)).toEqual(part(5, 6));
  });

  it("cuts a range at the end, and a suffix longer than the file to the whole file", () => {
    expect(parseRange("bytes=990-2000", 1000)).toEqual(part(990, 999));
    expect(parseRange("bytes=-5000", 1000)).toEqual(part(0, 999));
    expect(parseRange(`bytes=0-${"9".repeat(80)}`, 1000)).toEqual(part(0, 999));
  });

  it("answers 416 for a range that starts at or past the end, and for an empty suffix", () => {
    expect(parseRange("bytes=1000-", 1000)).toEqual(UNSATISFIABLE);
    expect(parseRange("bytes=1000-1001", 1000)).toEqual(UNSATISFIABLE);
    expect(parseRange(`bytes=${"9".repeat(40)}-`, 1000)).toEqual(UNSATISFIABLE);
    expect(parseRange("bytes=-0", 1000)).toEqual(UNSATISFIABLE);
    expect(parseRange("bytes=0-0", 0)).toEqual(UNSATISFIABLE);
  });

  it("ignores (the whole file) what it need not serve: no header, bad syntax, other units, inverted ranges", () => {
    for (const header of [
      undefined,
      "",
      "bytes=",
      "bytes=-",
      "bytes=a-b",
      "bytes=1-2-3",
      "bytes=-1-2",
      "bytes=+1-2",
      "bytes=0x10-20",
      "bytes=1.5-2",
      "bytes 0-1",
      "items=0-1",
      "bytes=5-4",
      "bytes=0-1\n",
    ]) {
      expect(parseRange(header, 1000), String(header)).toEqual(FULL);
    }
  });

  it("ignores several ranges, however many or overlapping, and overlong headers, without reading them", () => {
    expect(parseRange("bytes=0-1,2-3", 1000)).toEqual(FULL);
    expect(parseRange("bytes=0-999,0-999,0-999", 1000)).toEqual(FULL);
    expect(parseRange(`bytes=${Array.from({ length: 5000 }, (_, i) => `${i}-${i}`).join(",")}`, 1e6)).toEqual(FULL);
    expect(parseRange(`bytes=0-${"0".repeat(200)}1`, 1000)).toEqual(FULL);
  });
});

describe("ifRangeHolds", () => {
  it("holds without If-Range or with the current strong ETag only", () => {
    expect(ifRangeHolds(undefined, '"abc"')).toBe(true);
    expect(ifRangeHolds('"abc"', '"abc"')).toBe(true);
    expect(ifRangeHolds('"old"', '"abc"')).toBe(false);
    expect(ifRangeHolds('W/"abc"', '"abc"')).toBe(false);
    expect(ifRangeHolds("Wed, 21 Oct 2015 07:28:00 GMT", '"abc"')).toBe(false);
    expect(ifRangeHolds(['"abc"', '"abc"'], '"abc"')).toBe(false);
  });
});
