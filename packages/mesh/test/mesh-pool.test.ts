import { afterAll, describe, expect, it } from "vitest";
import { box, sphere } from "../src/generate.ts";
import { MeshError } from "../src/mesh.ts";
import { MeshDeadlineError, MeshPool } from "../src/mesh-pool.ts";
import { toBinaryStl } from "../src/parse-stl.ts";

const pool = new MeshPool({ threads: 2, deadlineMs: 10_000 });
afterAll(() => pool.close());

describe("MeshPool", () => {
  it("analyzes, quotes and renders in worker threads", async () => {
    const bytes = toBinaryStl(box(10, 10, 10));
    const a = await pool.analyze(bytes);
    expect(a.measurements.volume).toBeCloseTo(1000, 4);
    const q = await pool.quote(bytes, { material: "PETG", infill: 0.5, layerHeightMm: 0.2, quantity: 3 });
    expect(q.quote.options.quantity).toBe(3);
    const png = await pool.preview(bytes, 64);
    expect(png.subarray(1, 4).toString()).toBe("PNG");
  });

  it("returns a malformed file's refusal as a MeshError", async () => {
    await expect(pool.analyze(Buffer.from("nonsense that is no model"))).rejects.toBeInstanceOf(MeshError);
    await expect(pool.preview(toBinaryStl(box(1, 1, 1)), 5000)).rejects.toThrow(/preview size/);
  });

  it("stops a task past its deadline without stalling the pool", async () => {
    const tight = new MeshPool({ threads: 1, deadlineMs: 400 });
    const warm = await tight.analyze(toBinaryStl(box(1, 1, 1)));
    expect(warm.measurements.triangleCount).toBe(12);
    const big = toBinaryStl(sphere(10, 1500, 750));
    await expect(tight.analyze(big)).rejects.toBeInstanceOf(MeshDeadlineError);
    // The stopped worker is replaced; once the new one is up, the pool serves again.
    await new Promise((r) => setTimeout(r, 2000));
    const ok = await tight.analyze(toBinaryStl(box(1, 1, 1)));
    expect(ok.measurements.triangleCount).toBe(12);
    await tight.close();
  });
});
