import { describe, expect, it } from "vitest";
import { MeshError, MeshTooLargeError } from "../src/errors.ts";
import { box, sphere } from "../src/generate.ts";
import { weldVertices } from "../src/measure.ts";
import type { Mesh } from "../src/mesh.ts";
import { parseMesh } from "../src/parse.ts";
import { parse3mf } from "../src/parse-3mf.ts";
import { MAX_FACE_VERTICES, parseObj } from "../src/parse-obj.ts";
import { parseStl, toAsciiStl, toBinaryStl } from "../src/parse-stl.ts";
import { componentBombXml, fixedWeldKey, modelXml, triangleObject, zip3mf } from "./fixtures.ts";

/** The refusal `f` throws, which must be a MeshError. */
function refusal(f: () => unknown): MeshError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(MeshError);
    return err as MeshError;
  }
  throw new Error("the model was not refused");
}

const tooLarge = (f: () => unknown) => {
  const err = refusal(f);
  expect(err).toBeInstanceOf(MeshTooLargeError);
  expect(err.code).toBe("model_too_large");
};

describe("expansion bombs are refused before anything is allocated for them", () => {
  it("a 3MF of 13 levels of 4 components each: 4^13 triangles from a few hundred bytes", () => {
    const bomb = zip3mf(componentBombXml(13, 4));
    expect(bomb.length).toBeLessThan(1024);
    tooLarge(() => parseMesh(bomb));
    // The same shape within the limit expands in full.
    expect(parse3mf(zip3mf(componentBombXml(8, 4))).triangleCount).toBe(4 ** 8);
    tooLarge(() => parse3mf(zip3mf(componentBombXml(8, 4)), { maxTriangles: 4 ** 8 - 1 }));
  });

  it("3MF components that form a cycle or nest deeper than 16 levels", () => {
    const cycle = modelXml(
      [
        triangleObject(1),
        '<object id="2"><components><component objectid="3"/></components></object>',
        '<object id="3"><components><component objectid="1"/><component objectid="2"/></components></object>',
      ],
      ["2"],
    );
    expect(refusal(() => parse3mf(zip3mf(cycle))).message).toMatch(/cycle/);
    expect(parse3mf(zip3mf(componentBombXml(16, 1))).triangleCount).toBe(1);
    expect(refusal(() => parse3mf(zip3mf(componentBombXml(17, 1)))).message).toMatch(/too deep/);
  });

  it("an OBJ face of 5.3 million vertices", () => {
    const obj = `v 0 0 0\nv 1 0 0\nv 0 1 0\nf ${"1 2 3 ".repeat(5_300_001 / 3)}\n`;
    tooLarge(() => parseMesh(Buffer.from(obj)));
  });

  it("OBJ fans and vertices are counted against the limit before they are stored", () => {
    const fan = (n: number) =>
      Buffer.from(`v 0 0 0\nv 1 0 0\nv 0 1 0\nf ${Array.from({ length: n }, (_, i) => (i % 3) + 1).join(" ")}\n`);
    expect(parseObj(fan(1002), { maxTriangles: 1000 }).triangleCount).toBe(1000);
    tooLarge(() => parseObj(fan(1003), { maxTriangles: 1000 }));
    expect(parseObj(fan(MAX_FACE_VERTICES)).triangleCount).toBe(MAX_FACE_VERTICES - 2);
    tooLarge(() => parseObj(fan(MAX_FACE_VERTICES + 1)));
    // Three vertices per allowed triangle, no more.
    tooLarge(() => parseObj(Buffer.from("v 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 1 0\nf 1 2 3\n"), { maxTriangles: 1 }));
  });

  it("binary and ASCII STL past the limit; a count that does not match the size is corrupt", () => {
    const stl = toBinaryStl(box(1, 1, 1));
    expect(parseStl(stl, { maxTriangles: 12 }).triangleCount).toBe(12);
    tooLarge(() => parseStl(stl, { maxTriangles: 11 }));
    const ascii = Buffer.from(toAsciiStl(box(1, 1, 1)));
    expect(parseStl(ascii, { maxTriangles: 12 }).triangleCount).toBe(12);
    tooLarge(() => parseStl(ascii, { maxTriangles: 11 }));
    const lying = Buffer.from(stl);
    lying.writeUInt32LE(0xffffffff, 80);
    const err = refusal(() => parseStl(lying));
    expect(err.code).toBe("invalid_model");
    expect(err.message).toMatch(/says 4294967295 triangles/);
  });
});

describe("welding costs about one probe per corner whatever the layout", () => {
  // A fixed key keeps the probe counts reproducible; the process's own key is random.
  const key = fixedWeldKey(1);
  const T = 200_000;
  const layout = (set: (corner: number, p: Float32Array) => void): Mesh => {
    const positions = new Float32Array(T * 9);
    for (let c = 0; c < T * 3; c++) set(c, positions);
    return { positions, triangleCount: T };
  };
  const hostile: Array<[string, Mesh, number]> = [
    // The review's file: equal low bits made the former hash put every corner in one run of slots.
    ["x = k * 16384", layout((c, p) => p.set([c * 16384, 0, 0], c * 3)), T * 3],
    ["x = k * 2^60: only high bits differ", layout((c, p) => p.set([c * 2 ** 60, 0, 0], c * 3)), T * 3],
    [
      "y and z on a grid of 16384",
      layout((c, p) => p.set([0, (c % 775) * 16384, Math.floor(c / 775) * 16384], c * 3)),
      T * 3,
    ],
    [
      "cells that are int32 multiples of 4096: equal low bytes",
      layout((c, p) => p.set([(c % 1000) * 0.4096, Math.floor(c / 1000) * 0.4096, 0], c * 3)),
      T * 3,
    ],
    ["every corner equal", layout((c, p) => p.set([1, 2, 3], c * 3)), 1],
  ];
  for (const [name, mesh, vertices] of hostile) {
    it(name, () => {
      const w = weldVertices(mesh, 1e-4, key);
      expect(w.vertexCount).toBe(vertices);
      expect(w.probes).toBeLessThanOrEqual(2 * T * 3);
    });
  }

  it("the key changes the buckets, never the result; +0 and -0 are one vertex", () => {
    const mesh = sphere(5, 64, 32);
    expect(Array.from(weldVertices(mesh, 1e-4, key).ids)).toEqual(Array.from(weldVertices(mesh, 1e-4).ids));
    const zeros = { positions: Float32Array.from([-1e-5, 0, 0, 1e-5, -0, 0, 0, 0, -0]), triangleCount: 1 };
    expect(weldVertices(zeros, 1e-4).vertexCount).toBe(1);
    expect(() => weldVertices(mesh, 1e-4, new Uint32Array(12))).toThrow(RangeError);
  });
});

describe("OBJ vertex indices are whole numbers", () => {
  const face = (refs: string) => Buffer.from(`v 0 0 0\nv 1 0 0\nv 0 1 0\nf ${refs}\n`);

  it("refuses 1.9, 1abc and other near-numbers", () => {
    for (const bad of ["1.9", "1abc", "1e0", "0x1", "+1", "1.", "one", "--1"]) {
      expect(refusal(() => parseObj(face(`${bad} 2 3`))).message, bad).toMatch(/not a whole number/);
    }
  });

  it("reads v, v/vt, v/vt/vn, v//vn and negative indices", () => {
    expect(parseObj(face("1/1 2/2/2 3//3")).triangleCount).toBe(1);
    expect(parseObj(face("-3 -2 -1")).triangleCount).toBe(1);
    expect(refusal(() => parseObj(face("0 1 2"))).message).toMatch(/does not exist/);
  });
});
