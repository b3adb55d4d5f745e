import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { box, cylinder } from "../src/generate.ts";
import { measureBasic } from "../src/measure.ts";
import { renderPreview } from "../src/preview.ts";
import { PRICING, type PricingOptions, priceModel } from "../src/pricing.ts";

describe("priceModel", () => {
  const cube = measureBasic(box(20, 20, 20));
  const base: PricingOptions = { material: "PLA", infill: 0.2, layerHeightMm: 0.2, quantity: 1 };

  it("follows the documented formula", () => {
    const q = priceModel(cube, base);
    const shell = Math.min(8000, 2400 * 0.8);
    const printed = shell + 0.2 * (8000 - shell);
    expect(q.massGrams).toBeCloseTo((printed / 1000) * 1.24, 2);
    const seconds = printed / 8 + 100 * 4;
    expect(q.printTimeHours).toBeCloseTo(seconds / 3600, 2);
    expect(q.totalCents).toBe(PRICING.setupFeeCents + q.unitPriceCents);
    expect(q).toMatchObject({ pricingVersion: PRICING.version, currency: "EUR" });
  });

  it("costs more with more infill, a denser or dearer material, finer layers and more parts", () => {
    const p = (o: Partial<typeof base>) => priceModel(cube, { ...base, ...o }).totalCents;
    expect(p({ infill: 1 })).toBeGreaterThan(p({ infill: 0.2 }));
    expect(p({ material: "resin" })).toBeGreaterThan(p({ material: "PLA" }));
    expect(p({ layerHeightMm: 0.1 })).toBeGreaterThan(p({ layerHeightMm: 0.3 }));
    expect(p({ quantity: 10 })).toBeGreaterThan(9 * p({ quantity: 1 }) - 9 * PRICING.setupFeeCents);
  });
});

describe("renderPreview", () => {
  const decode = (buf: Buffer) => PNG.sync.read(buf);
  const isBackground = (png: PNG, x: number, y: number) => {
    const o = (y * png.width + x) * 4;
    return png.data[o] === 245 && png.data[o + 1] === 246 && png.data[o + 2] === 248;
  };

  it("is a valid PNG of the asked size, deterministic", () => {
    for (const size of [64, 256, 1024]) {
      const png = decode(renderPreview(box(10, 10, 10), size));
      expect([png.width, png.height]).toEqual([size, size]);
    }
    expect(renderPreview(box(1, 2, 3)).equals(renderPreview(box(1, 2, 3)))).toBe(true);
    expect(() => renderPreview(box(1, 1, 1), 63)).toThrow(RangeError);
    expect(() => renderPreview(box(1, 1, 1), 1025)).toThrow(RangeError);
  });

  it("draws the expected silhouette: a cube fills the centre, leaves the corners empty, and shades three faces", () => {
    const png = decode(renderPreview(box(10, 10, 10), 128));
    expect(isBackground(png, 64, 64)).toBe(false);
    for (const [x, y] of [
      [1, 1],
      [126, 1],
      [1, 126],
      [126, 126],
    ])
      expect(isBackground(png, x as number, y as number)).toBe(true);
    // An isometric cube is a hexagon as wide as it is tall (fitted to the frame, within the margin).
    const row = Array.from({ length: 128 }, (_, x) => !isBackground(png, x, 64));
    const width = row.filter(Boolean).length;
    expect(width).toBeGreaterThan(90);
    const colours = new Set<string>();
    for (let y = 20; y < 108; y += 4)
      for (let x = 20; x < 108; x += 4)
        if (!isBackground(png, x, y))
          colours.add(png.data.subarray((y * 128 + x) * 4, (y * 128 + x) * 4 + 3).join(","));
    expect(colours.size).toBe(3);
  });

  it("a tall cylinder is taller than wide", () => {
    const png = decode(renderPreview(cylinder(2, 30, 32), 128));
    const rows = Array.from({ length: 128 }, (_, y) =>
      Array.from({ length: 128 }, (_, x) => !isBackground(png, x, y)).some(Boolean),
    ).filter(Boolean).length;
    const cols = Array.from({ length: 128 }, (_, x) =>
      Array.from({ length: 128 }, (_, y) => !isBackground(png, x, y)).some(Boolean),
    ).filter(Boolean).length;
    expect(rows).toBeGreaterThan(cols * 2);
  });
});
