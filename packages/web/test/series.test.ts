import { describe, expect, it } from "vitest";
import { appendPoint, linePath } from "../app/lib/series.ts";

describe("appendPoint", () => {
  it("keeps the last five minutes and skips unknown values", () => {
    let s = appendPoint([], { t: 0, v: 1 });
    s = appendPoint(s, { t: 1000, v: null });
    s = appendPoint(s, { t: 299_999, v: 2 });
    expect(s.map((p) => p.t)).toEqual([0, 299_999]);
    s = appendPoint(s, { t: 300_000, v: 3 });
    expect(s.map((p) => p.t)).toEqual([299_999, 300_000]);
  });
});

describe("linePath", () => {
  it("maps time onto the width (window ending now) and values onto the height (0 at the bottom)", () => {
    const { d, max } = linePath(
      [
        { t: 0, v: 0 },
        { t: 300_000, v: 10 },
      ],
      300_000,
      300,
      60,
    );
    expect(max).toBe(10);
    expect(d).toBe("M0.0,60.0 L300.0,0.0");
  });

  it("draws a flat zero line without dividing by zero", () => {
    expect(linePath([{ t: 150_000, v: 0 }], 300_000, 300, 60).d).toBe("M150.0,60.0");
  });
});
