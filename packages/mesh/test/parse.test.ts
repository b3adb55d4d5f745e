import fc from "fast-check";
import { strToU8, zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { analyzeModel, contentHash, quoteModel } from "../src/analyze.ts";
import { MeshError, MeshTooLargeError } from "../src/errors.ts";
import { box, sphere, torus } from "../src/generate.ts";
import { measure } from "../src/measure.ts";
import { detectFormat, parseMesh } from "../src/parse.ts";
import { parse3mf } from "../src/parse-3mf.ts";
import { toObj } from "../src/parse-obj.ts";
import { toAsciiStl, toBinaryStl } from "../src/parse-stl.ts";
import { to3mf } from "./fixtures.ts";

const refused = (bytes: Uint8Array, reason: RegExp) => {
  expect(() => parseMesh(bytes)).toThrow(MeshError);
  expect(() => parseMesh(bytes)).toThrow(reason);
};

describe("one mesh, four formats, the same measurements", () => {
  it("binary STL, ASCII STL, OBJ and 3MF agree", () => {
    const mesh = torus(20, 6, 48, 24);
    const files = {
      stl: toBinaryStl(mesh),
      ascii: Buffer.from(toAsciiStl(mesh)),
      obj: Buffer.from(toObj(mesh)),
      "3mf": to3mf(mesh),
    };
    const reference = measure(mesh);
    for (const [name, bytes] of Object.entries(files)) {
      const m = measure(parseMesh(bytes));
      expect(m.triangleCount, name).toBe(reference.triangleCount);
      expect(m.volume, name).toBeCloseTo(reference.volume, 1);
      expect(m.surfaceArea, name).toBeCloseTo(reference.surfaceArea, 1);
      expect(m.watertight, name).toBe(true);
    }
    expect(detectFormat(files.stl)).toBe("stl");
    expect(detectFormat(files.ascii)).toBe("stl");
    expect(detectFormat(files.obj)).toBe("obj");
    expect(detectFormat(files["3mf"])).toBe("3mf");
  });

  it("reads a binary STL from any byte offset of a larger buffer", () => {
    const stl = toBinaryStl(sphere(5, 40, 20));
    for (const offset of [0, 1, 2, 3]) {
      const host = Buffer.alloc(stl.length + 8);
      stl.copy(host, offset);
      const m = parseMesh(host.subarray(offset, offset + stl.length));
      expect(Array.from(m.positions)).toEqual(Array.from(parseMesh(stl).positions));
    }
  });

  it("reads a binary STL whose header starts with 'solid'", () => {
    const bytes = toBinaryStl(box(1, 2, 3), "solid but binary");
    expect(measure(parseMesh(bytes)).volume).toBeCloseTo(6, 5);
  });

  it("OBJ: negative indices and polygons fanned into triangles", () => {
    const obj =
      "# quad pyramid\nv 0 0 0\nv 2 0 0\nv 2 2 0\nv 0 2 0\nv 1 1 3\nf 4 3 2 1\nf -5 -4 -1\nf 2/1/1 3/2/2 5/3/3\nf 3 4 5\nf 4 1 5\n";
    const m = measure(parseMesh(Buffer.from(obj)));
    expect(m.triangleCount).toBe(6);
    expect(m.volume).toBeCloseTo(4, 5);
    expect(m.watertight).toBe(true);
  });

  it("3MF: units, several build items and transforms", () => {
    const cube = box(1, 1, 1);
    expect(measure(parse3mf(to3mf(cube, { unit: "centimeter" }))).volume).toBeCloseTo(1000, 3);
    expect(measure(parse3mf(to3mf(cube, { unit: "inch" }))).bbox.size[0]).toBeCloseTo(25.4, 4);
    const two = parse3mf(to3mf(cube, { items: [{}, { transform: "2 0 0 0 2 0 0 0 2 10 0 0" }] }));
    const m = measure(two);
    expect(m.triangleCount).toBe(24);
    expect(m.volume).toBeCloseTo(9, 4);
    expect(m.bbox.max[0]).toBeCloseTo(12, 5);
  });
});

describe("malformed files are refused with a reason", () => {
  const stl = toBinaryStl(box(1, 1, 1));

  it("truncated, wrong count, empty, no triangles", () => {
    refused(stl.subarray(0, stl.length - 10), /truncated or corrupt/);
    const wrongCount = Buffer.from(stl);
    wrongCount.writeUInt32LE(99, 80);
    refused(wrongCount, /says 99 triangles/);
    refused(new Uint8Array(0), /empty/);
    refused(Buffer.alloc(84), /no triangles/);
    refused(Buffer.from("solid x\nendsolid x\n"), /no vertices/);
    refused(Buffer.from("v 0 0 0\nv 1 0 0\n"), /no faces/);
    refused(Buffer.from("v 0 0 0\nf 1 2 3\n"), /does not exist/);
    refused(Buffer.from("tiny"), /too short/);
  });

  it("NaN and infinite coordinates", () => {
    const nan = Buffer.from(stl);
    nan.writeFloatLE(Number.NaN, 84 + 12);
    refused(nan, /not a finite number/);
    const inf = Buffer.from(stl);
    inf.writeFloatLE(Number.POSITIVE_INFINITY, 84 + 20);
    refused(inf, /not a finite number/);
    refused(Buffer.from("v 0 0 Infinity\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"), /not a finite number/);
  });

  it("3MF: invalid XML, no model, a bad reference, and a zip bomb", () => {
    const bad = zipSync({ "3D/3dmodel.model": strToU8("<model><resources><object id='1'><mesh>") });
    expect(() => parseMesh(bad)).toThrow(/not valid XML|no build items|no triangles/);
    refused(zipSync({ "readme.txt": strToU8("hi") }), /no 3D model part/);
    refused(Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]), /zip|3MF|archive/i);
    const ref = zipSync({
      "3D/3dmodel.model": strToU8('<model unit="millimeter"><resources/><build><item objectid="7"/></build></model>'),
    });
    refused(ref, /object 7/);
    const bomb = zipSync({ "3D/3dmodel.model": new Uint8Array(64 * 1024 * 1024) }, { level: 9 });
    expect(bomb.length).toBeLessThan(1024 * 1024);
    expect(() => parse3mf(bomb, { maxUncompressedBytes: 8 * 1024 * 1024 })).toThrow(/inflates to more than/);
    // Refused as too large (413), not as a corrupt archive: the class survives fflate's callbacks.
    expect(() => parse3mf(bomb, { maxUncompressedBytes: 8 * 1024 * 1024 })).toThrow(MeshTooLargeError);
  });

  it("random bytes never crash the parser: a mesh or a MeshError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        try {
          parseMesh(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(MeshError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("random meshes round-trip through binary STL", () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ min: -1000, max: 1000, noNaN: true }), { minLength: 9, maxLength: 900 }),
        (coords) => {
          const usable = coords.slice(0, coords.length - (coords.length % 9));
          const mesh = { positions: Float32Array.from(usable), triangleCount: usable.length / 9 };
          const back = parseMesh(toBinaryStl(mesh));
          expect(Array.from(back.positions)).toEqual(Array.from(mesh.positions));
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("analyze and quote", () => {
  it("is a pure function of the bytes and options, keyed by content hash", () => {
    const bytes = toBinaryStl(sphere(10, 32, 16));
    const a = analyzeModel(bytes);
    expect(a).toEqual(analyzeModel(Buffer.from(bytes)));
    expect(a.sha256).toBe(contentHash(bytes));
    expect(a.format).toBe("stl");
    const q = quoteModel(bytes, { material: "PLA", infill: 0.2, layerHeightMm: 0.2, quantity: 2 });
    expect(q.quote.pricingVersion).toBe(1);
    expect(q.quote.totalCents).toBe(500 + 2 * q.quote.unitPriceCents);
  });
});
