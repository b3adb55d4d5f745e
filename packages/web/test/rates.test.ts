import { describe, expect, it } from "vitest";
import { formatNines, nines, rate, share } from "../app/lib/rates.ts";

describe("rate", () => {
  it("is the counter's increase per second", () => {
    expect(rate(100, 150, 2)).toBe(25);
  });

  it("counts everything since a restart when the counter went down", () => {
    expect(rate(100, 30, 1)).toBe(30);
  });

  it("is unknown on the first reading or without elapsed time", () => {
    expect(rate(null, 10, 1)).toBeNull();
    expect(rate(5, 10, 0)).toBeNull();
  });
});

describe("share", () => {
  it("is a / (a + b), unknown when both are 0", () => {
    expect(share(99, 1)).toBe(0.99);
    expect(share(0, 0)).toBeNull();
  });
});

describe("nines", () => {
  it("is -log10(violations / checks)", () => {
    expect(nines(1_000_000, 10)?.value).toBeCloseTo(5, 9);
    expect(nines(1_000_000, 10)?.atLeast).toBe(false);
    expect(formatNines(nines(1000, 1))).toBe("3.0 nines");
  });

  it("is a lower bound, log10(checks), while no violation was seen", () => {
    expect(nines(10_000, 0)).toEqual({ value: 4, atLeast: true });
    expect(formatNines(nines(10_000, 0))).toBe("≥ 4.0 nines");
  });

  it("is unknown before any check, and never negative", () => {
    expect(nines(0, 0)).toBeNull();
    expect(formatNines(null)).toBe("no checks yet");
    expect(nines(10, 20)?.value).toBe(0);
  });
});
