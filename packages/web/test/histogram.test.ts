import { describe, expect, it } from "vitest";
import { bucketDelta, quantile } from "../app/lib/histogram.ts";

const buckets = (counts: number[], bounds: Array<number | null> = [0.005, 0.01, 0.05, 0.1, null]) =>
  bounds.map((le, i) => ({ le, count: counts[i] ?? 0 }));

describe("bucketDelta", () => {
  it("is the requests between two polls", () => {
    const before = buckets([10, 20, 30, 40, 40]);
    const after = buckets([10, 25, 60, 70, 75]);
    expect(bucketDelta(before, after).map((b) => b.count)).toEqual([0, 5, 30, 30, 35]);
  });

  it("takes the newer counts whole when the process restarted (a count went down) or on the first poll", () => {
    const after = buckets([1, 2, 3, 3, 3]);
    expect(bucketDelta(buckets([10, 20, 30, 40, 40]), after)).toEqual(after);
    expect(bucketDelta(null, after)).toEqual(after);
  });
});

describe("quantile", () => {
  it("interpolates inside the bucket the rank falls in", () => {
    // 100 requests: 50 at most 5 ms, 40 more by 10 ms, 10 more by 50 ms.
    const b = buckets([50, 90, 100, 100, 100]);
    expect(quantile(b, 0.5)).toBeCloseTo(0.005, 9);
    expect(quantile(b, 0.7)).toBeCloseTo(0.0075, 9);
    expect(quantile(b, 0.99)).toBeCloseTo(0.01 + 0.04 * 0.9, 9);
  });

  it("skips empty buckets and answers the last finite bound past it", () => {
    expect(quantile(buckets([0, 0, 10, 10, 10]), 0.5)).toBeCloseTo(0.03, 9);
    expect(quantile(buckets([0, 0, 0, 0, 8]), 0.99)).toBe(0.1);
  });

  it("is null with no request counted", () => {
    expect(quantile(buckets([0, 0, 0, 0, 0]), 0.5)).toBeNull();
    expect(quantile([], 0.5)).toBeNull();
  });

  it("a p99 from the difference differs from the cumulative one once traffic changes", () => {
    const before = buckets([1000, 1000, 1000, 1000, 1000]);
    const after = buckets([1000, 1000, 1000, 1005, 1005]);
    expect(quantile(after, 0.99)).toBeLessThan(0.05);
    expect(quantile(bucketDelta(before, after), 0.99)).toBeGreaterThan(0.05);
  });
});
