import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { box, cylinder, gear, sphere, tetrahedron, torus, transform, tube } from "../src/generate.ts";
import { measure, measureBasic } from "../src/measure.ts";
import { meshFromTriangles } from "../src/mesh.ts";

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe("measurements against exact oracles", () => {
  it("cube and box: volume, area, bbox, watertight", () => {
    const m = measure(box(10, 20, 30));
    expect(m.triangleCount).toBe(12);
    expect(m.volume).toBeCloseTo(6000, 6);
    expect(m.surfaceArea).toBeCloseTo(2 * (200 + 600 + 300), 6);
    expect(m.bbox.size).toEqual([10, 20, 30]);
    expect(m).toMatchObject({
      watertight: true,
      consistentOrientation: true,
      inverted: false,
      degenerateTriangles: 0,
      vertexCount: 8,
    });
  });

  it("tetrahedron", () => {
    const m = measure(tetrahedron(6));
    expect(m.volume).toBeCloseTo(36, 6);
    expect(m.surfaceArea).toBeCloseTo(3 * 18 + (Math.sqrt(3) / 4) * 72, 6);
    expect(m.watertight).toBe(true);
  });

  it("a tube (a solid with a hole) at high resolution, within 0.1% of the analytic values", () => {
    const n = 512;
    const m = measure(tube(20, 10, 30, n));
    // A regular n-gon of circumradius r has area (n/2) r² sin(2π/n): the exact polygonal volume.
    const ring = (r: number) => (n / 2) * r * r * Math.sin((2 * Math.PI) / n);
    expect(rel(m.volume, (ring(20) - ring(10)) * 30)).toBeLessThan(1e-6);
    expect(rel(m.volume, Math.PI * (400 - 100) * 30)).toBeLessThan(1e-3);
    expect(m.watertight).toBe(true);
  });

  it("sphere and torus at high resolution, within 0.5% of the analytic volume and area", () => {
    const s = measure(sphere(10, 256, 128));
    expect(rel(s.volume, (4 / 3) * Math.PI * 1000)).toBeLessThan(0.005);
    expect(rel(s.surfaceArea, 4 * Math.PI * 100)).toBeLessThan(0.005);
    expect(s.watertight).toBe(true);
    const t = measure(torus(20, 5, 256, 128));
    expect(rel(t.volume, 2 * Math.PI * Math.PI * 20 * 25)).toBeLessThan(0.005);
    expect(rel(t.surfaceArea, 4 * Math.PI * Math.PI * 20 * 5)).toBeLessThan(0.005);
    expect(t.watertight).toBe(true);
    expect(measure(gear(24, 30, 8)).watertight).toBe(true);
    expect(measure(cylinder(5, 10)).consistentOrientation).toBe(true);
  });

  it("reports a mesh with a missing triangle as not watertight", () => {
    const full = box(10, 10, 10);
    const holed = { positions: full.positions.slice(9), triangleCount: 11 };
    const m = measure(holed);
    expect(m.watertight).toBe(false);
    expect(m.boundaryEdges).toBe(3);
  });

  it("flags inverted meshes and inconsistent orientation, and counts degenerate triangles", () => {
    const cube = box(1, 1, 1);
    const inverted = transform(cube, (x, y, z) => [-x, y, z]);
    expect(measure(inverted)).toMatchObject({
      inverted: true,
      volume: expect.closeTo(1, 6),
      consistentOrientation: true,
    });
    const flipped = Float32Array.from(cube.positions);
    flipped.set(
      [
        cube.positions[3] as number,
        cube.positions[4] as number,
        cube.positions[5] as number,
        cube.positions[0] as number,
        cube.positions[1] as number,
        cube.positions[2] as number,
      ],
      0,
    );
    expect(measure({ positions: flipped, triangleCount: 12 }).consistentOrientation).toBe(false);
    const degenerate = meshFromTriangles([...cube.positions, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 2, 2, 2]);
    expect(measure(degenerate).degenerateTriangles).toBe(2);
  });
});

describe("measurement properties", () => {
  const shapes = fc.oneof(
    fc.record({
      kind: fc.constant("box"),
      a: fc.double({ min: 0.5, max: 50, noNaN: true }),
      b: fc.double({ min: 0.5, max: 50, noNaN: true }),
      c: fc.double({ min: 0.5, max: 50, noNaN: true }),
    }),
    fc.record({
      kind: fc.constant("cyl"),
      a: fc.double({ min: 0.5, max: 50, noNaN: true }),
      b: fc.double({ min: 0.5, max: 50, noNaN: true }),
      c: fc.constant(0),
    }),
  );
  const make = (s: { kind: string; a: number; b: number; c: number }) =>
    s.kind === "box" ? box(s.a, s.b, s.c) : cylinder(s.a, s.b, 24);

  it("translation leaves volume and area unchanged", () => {
    fc.assert(
      fc.property(
        shapes,
        fc.tuple(
          fc.double({ min: -500, max: 500, noNaN: true }),
          fc.double({ min: -500, max: 500, noNaN: true }),
          fc.double({ min: -500, max: 500, noNaN: true }),
        ),
        (s, [dx, dy, dz]) => {
          const m = make(s);
          const a = measureBasic(m);
          const b = measureBasic(transform(m, (x, y, z) => [x + dx, y + dy, z + dz]));
          expect(rel(b.volume, a.volume)).toBeLessThan(1e-3);
          expect(rel(b.surfaceArea, a.surfaceArea)).toBeLessThan(1e-3);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("scaling by k multiplies volume by k³ and area by k²", () => {
    fc.assert(
      fc.property(shapes, fc.double({ min: 0.1, max: 10, noNaN: true }), (s, k) => {
        const m = make(s);
        const a = measureBasic(m);
        const b = measureBasic(transform(m, (x, y, z) => [x * k, y * k, z * k]));
        expect(rel(b.volume, a.volume * k ** 3)).toBeLessThan(1e-4);
        expect(rel(b.surfaceArea, a.surfaceArea * k ** 2)).toBeLessThan(1e-4);
      }),
      { numRuns: 100 },
    );
  });
});
