import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { contentHash, contentHashAsync } from "../src/analyze.ts";
import { box, gear, sphere, torus, transform, tube } from "../src/generate.ts";
import { measure, measureBasic, weldVertices } from "../src/measure.ts";
import type { Mesh } from "../src/mesh.ts";
import { parseStl, toBinaryStl } from "../src/parse-stl.ts";
import { renderPreview } from "../src/preview.ts";
import { fixedWeldKey } from "./fixtures.ts";
import { referenceMeasure, referencePreviewPixels } from "./reference.ts";

/** A seeded generator, so a failure is reproducible. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The mesh's triangles in a random order: neighbours far apart, so the weld's cache of recent corners misses. */
function shuffled(mesh: Mesh, seed: number): Mesh {
  const next = random(seed);
  const order = Array.from({ length: mesh.triangleCount }, (_, t) => t);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const positions = new Float32Array(mesh.positions.length);
  for (const [to, from] of order.entries()) positions.set(mesh.positions.subarray(from * 9, from * 9 + 9), to * 9);
  return { positions, triangleCount: mesh.triangleCount };
}

/** The mesh with its first triangle's first two corners swapped. */
function flipFirst(mesh: Mesh): Mesh {
  const positions = Float32Array.from(mesh.positions);
  positions.set(mesh.positions.subarray(3, 6), 0);
  positions.set(mesh.positions.subarray(0, 3), 3);
  return { positions, triangleCount: mesh.triangleCount };
}

/** Triangles stacked along each axis in turn: corners that differ in one coordinate only, many in one cache entry. */
function stacks(perAxis: number): Mesh {
  const out: number[] = [];
  for (let axis = 0; axis < 3; axis++) {
    for (let k = 0; k < perAxis; k++) {
      for (const corner of [
        [0, 0, 0],
        [1, 0, 0],
        [0, 1, 0],
      ]) {
        const v = [corner[(axis + 1) % 3] as number, corner[(axis + 2) % 3] as number, corner[axis] as number];
        v[axis] = k * 0.5;
        out.push(...v);
      }
    }
  }
  return { positions: Float32Array.from(out), triangleCount: out.length / 9 };
}

const cube = box(10, 20, 30);
const meshes: Array<[string, Mesh]> = [
  ["a sphere", sphere(10, 96, 48)],
  ["a torus, shuffled", shuffled(torus(20, 5, 64, 32), 1)],
  [
    "a gear and a tube",
    { positions: Float32Array.from([...gear(24, 30, 8).positions, ...tube(8, 4, 10).positions]), triangleCount: 0 },
  ],
  ["a box with a hole", { positions: cube.positions.slice(9), triangleCount: 11 }],
  ["a box, one triangle flipped", flipFirst(cube)],
  ["an inverted box", transform(cube, (x, y, z) => [-x, y, z])],
  [
    "corners jittered within the weld tolerance, -0 and 0",
    transform(sphere(5, 32, 16), (x, y, z) => [x + (x > 0 ? 2e-5 : -0), y - 3e-5 * Math.sign(y), z]),
  ],
  [
    "coordinates of 2^40: cells past 32 bits",
    transform(box(1, 1, 1), (x, y, z) => [x * 2 ** 40, y * 2 ** 40, z * 2 ** 40 - 2 ** 41]),
  ],
  ["stacks of triangles along x, y and z", stacks(10_000)],
  [
    "an edge of three triangles and collapsed ones",
    {
      positions: Float32Array.from([
        0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, -1, 0, 0, 0, 0, 1e-5, 0, 0, 5, 5, 5,
        0, 0, 0, 1, 1, 1, 2, 2, 2,
      ]),
      triangleCount: 5,
    },
  ],
];
for (const entry of meshes) if (entry[1].triangleCount === 0) entry[1].triangleCount = entry[1].positions.length / 9;

describe("the fast paths give exactly what the straightforward reference gives", () => {
  for (const [name, mesh] of meshes) {
    it(name, () => {
      const expected = referenceMeasure(mesh);
      expect(measure(mesh)).toEqual(expected);
      // Parsed from a binary STL: the basic measurements come from the parse's own pass.
      const parsed = parseStl(toBinaryStl(mesh));
      expect(measure(parsed)).toEqual(expected);
      expect(measureBasic(parsed)).toEqual(measureBasic(mesh));
    });
  }

  it("a parsed mesh's cached measurements are not shared by a mesh over part of it, nor changed by their reader", () => {
    const parsed = parseStl(toBinaryStl(cube));
    const part = { positions: parsed.positions, triangleCount: 11 };
    expect(measure(part)).toEqual(referenceMeasure(part));
    measureBasic(parsed).bbox.min[0] = 99;
    expect(measureBasic(parsed)).toEqual(measureBasic(cube));
  });

  it("welds the same vertices whatever the key, through a grown table and a missing cache", () => {
    const soup = shuffled(sphere(5, 128, 64), 7);
    const key = fixedWeldKey(3);
    const a = weldVertices(soup, 1e-4, key);
    const b = weldVertices(soup, 1e-4);
    expect(Array.from(a.ids)).toEqual(Array.from(b.ids));
    expect(a.vertexCount).toBe(referenceMeasure(soup).vertexCount);
    // Corners all distinct: four times the vertices the table was sized for.
    const distinct = { positions: Float32Array.from({ length: 9 * 4000 }, (_, i) => i), triangleCount: 4000 };
    expect(weldVertices(distinct, 1e-4).vertexCount).toBe(12000);
  });
});

describe("the preview draws the pixels the straightforward rasterizer draws", () => {
  const cases: Array<[string, Mesh, number]> = [
    ["a sphere", sphere(10, 96, 48), 256],
    ["a gear, small", gear(24, 30, 8), 64],
    ["a box with a hole (back faces show)", { positions: cube.positions.slice(9), triangleCount: 11 }, 128],
    ["a shuffled torus", shuffled(torus(20, 5, 64, 32), 3), 200],
  ];
  for (const [name, mesh, size] of cases) {
    it(name, () => {
      const drawn = PNG.sync.read(renderPreview(mesh, size)).data;
      expect(drawn.equals(referencePreviewPixels(mesh, size))).toBe(true);
    });
  }
});

describe("contentHashAsync", () => {
  it("is contentHash, at every size around its slices", async () => {
    const bytes = Buffer.from(Array.from({ length: 3 * 512 * 1024 + 7 }, (_, i) => (i * 131) & 0xff));
    for (const n of [0, 1, 512 * 1024 - 1, 512 * 1024, 512 * 1024 + 1, bytes.length]) {
      expect(await contentHashAsync(bytes.subarray(0, n))).toBe(contentHash(bytes.subarray(0, n)));
    }
  });

  it("lets the event loop turn between slices", async () => {
    const bytes = Buffer.alloc(8 * 1024 * 1024, 1);
    let turns = 0;
    const tick = () => {
      turns++;
      if (!done) setImmediate(tick);
    };
    let done = false;
    setImmediate(tick);
    await contentHashAsync(bytes);
    done = true;
    expect(turns).toBeGreaterThanOrEqual(8);
  });
});
