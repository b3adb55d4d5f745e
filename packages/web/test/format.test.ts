import { describe, expect, it } from "vitest";
import { formatPercent, formatPrice, formatSeconds, formatSize, statusLabel } from "../app/lib/format.ts";

describe("formatting", () => {
  it("writes prices from cents", () => {
    expect(formatPrice(1234)).toBe("€12.34");
    expect(formatPrice(0)).toBe("€0.00");
    expect(formatPrice(123456789)).toBe("€1,234,567.89");
    expect(formatPrice(500, "USD")).toBe("US$5.00");
  });

  it("writes ratios, durations and sizes", () => {
    expect(formatPercent(0.987)).toBe("98.7 %");
    expect(formatPercent(null)).toBe("–");
    expect(formatSeconds(0.0004)).toBe("400 µs");
    expect(formatSeconds(0.0123)).toBe("12.3 ms");
    expect(formatSeconds(1.5)).toBe("1.50 s");
    expect(formatSeconds(null)).toBe("–");
    expect(formatSize([20, 30.55, 4])).toBe("20 × 30.6 × 4 mm");
  });

  it("names statuses for people", () => {
    expect(statusLabel("post_processing")).toBe("Post-processing");
    expect(statusLabel("created")).toBe("Created");
  });
});
