import fc from "fast-check";
import { strToU8, unzipSync, zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { MeshError, MeshTooLargeError } from "../src/errors.ts";
import { box, sphere, torus } from "../src/generate.ts";
import { measure, measureBasic } from "../src/measure.ts";
import { MAX_MODEL_PARTS } from "../src/package-3mf.ts";
import { parseMesh } from "../src/parse.ts";
import { parse3mf } from "../src/parse-3mf.ts";
import { type ProjectObject, packageOf, productionModelXml, to3mf, to3mfProject, triangleObject } from "./fixtures.ts";
import { fuzzParams } from "./fuzz/fuzz-kit.ts";

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
const reason = (bytes: Uint8Array) => refusal(() => parse3mf(bytes)).message;

const PART = "3D/Objects/object_1.model";
/** A root model placing object `id` of `path` through a component, as a slicer's project does. */
const rootVia = (path: string, id = "1") =>
  productionModelXml(
    [`<object id="2" type="model"><components><component p:path="${path}" objectid="${id}"/></components></object>`],
    ['<item objectid="2"/>'],
  );
/** A package: that root and object_1.model holding a one-triangle object 1. */
const viaPath = (path: string, id = "1") =>
  packageOf({ "3D/3dmodel.model": rootVia(path, id), [PART]: productionModelXml([triangleObject(1)], []) });

const PLATE: ProjectObject[] = [
  { mesh: box(10, 20, 30), item: "1 0 0 0 1 0 0 0 1 128 128 15" },
  { mesh: sphere(8, 24, 12), component: "1 0 0 0 1 0 0 0 1 0 0 8", item: "1 0 0 0 1 0 0 0 1 90 100 0" },
  { mesh: torus(12, 3, 24, 12), component: "0 1 0 -1 0 0 0 0 1 0 0 3", item: "2 0 0 0 2 0 0 0 2 160 90 0" },
];

describe("3MF projects as Bambu Studio and OrcaSlicer write them (production extension)", () => {
  it("objects in model parts of their own give the plain file's triangles, to the float, and its volume", () => {
    const project = parse3mf(to3mfProject(PLATE));
    const plain = parse3mf(to3mfProject(PLATE, { external: false }));
    expect(project.triangleCount).toBe(PLATE.reduce((n, o) => n + o.mesh.triangleCount, 0));
    expect(project.positions).toEqual(plain.positions);
    const volume = measure(project).volume;
    expect(volume).toBe(measure(plain).volume);
    // What PrusaSlicer 2.5 says of the plain twin (`prusa-slicer --info`, the sum of its three objects'
    // volumes: 6000 + 2084.121094 + 16100.585938). It cannot read the project itself: it takes every model
    // part for one ("Found object with duplicate id").
    expect(Math.abs(volume - 24184.707)).toBeLessThanOrEqual(0.1);
    // One object, one part: the same as a plain file of that mesh.
    const one = parseMesh(to3mfProject([{ mesh: box(10, 20, 30) }]));
    expect(measureBasic(one)).toEqual(measureBasic(parse3mf(to3mf(box(10, 20, 30)))));
  });

  it("in inches too: every part's coordinates scaled by the root's unit", () => {
    const inch = parse3mf(to3mfProject(PLATE, { unit: "inch" }));
    expect(inch.positions).toEqual(parse3mf(to3mfProject(PLATE, { external: false, unit: "inch" })).positions);
    const mm = measure(parse3mf(to3mfProject(PLATE))).volume;
    expect(Math.abs(measure(inch).volume / (mm * 25.4 ** 3) - 1)).toBeLessThan(1e-6);
  });

  it("a build item may name a part too, and part names compare as OPC says: percent-decoded, ASCII case ignored", () => {
    const item = packageOf({
      "3D/3dmodel.model": productionModelXml([], [`<item objectid="1" p:path="/${PART}"/>`]),
      [PART]: productionModelXml([triangleObject(1)], []),
    });
    expect(parse3mf(item).triangleCount).toBe(1);
    for (const spelling of [
      "/3d/OBJECTS/Object_1.MODEL",
      "/3D/Objects/object%5F1.model",
      "/3D/Objects/%6Fbject_1.model",
    ]) {
      expect(parse3mf(viaPath(spelling)).triangleCount).toBe(1);
    }
  });

  it("what is missing is named: an object of the root, an object of a part, a part", () => {
    const root = packageOf({ "3D/3dmodel.model": productionModelXml([], ['<item objectid="1"/>']) });
    expect(reason(root)).toBe("3MF refers to object 1, which does not exist");
    expect(reason(viaPath(`/${PART}`, "7"))).toBe(`3MF refers to object 7 of /${PART}, which does not exist`);
    expect(reason(viaPath("/3D/Objects/object_9.model"))).toBe(
      "3MF refers to the model part /3D/Objects/object_9.model, which is not in the package",
    );
    // A part that is not a model part (a thumbnail) is no model part.
    expect(reason(viaPath("/Metadata/plate_1.png"))).toMatch(/which is not in the package/);
  });

  it("paths that leave the package or are no part name are refused, whatever the zip holds", () => {
    const bad = [
      "../3D/Objects/object_1.model",
      "/3D/../3D/Objects/object_1.model",
      "/3D/Objects/./object_1.model",
      "/3D/Objects/%2e%2e/Objects/object_1.model",
      "/3D//Objects/object_1.model",
      "/3D/Objects/object_1.model/",
      "3D/Objects/object_1.model",
      "C:/3D/Objects/object_1.model",
      "file:///3D/Objects/object_1.model",
      "http://example.com/3D/Objects/object_1.model",
      "//example.com/3D/Objects/object_1.model",
      "/3D\\Objects\\object_1.model",
      "/3D/Objects/object_1.model%",
      "/3D/Objects/object_1.model?x",
      "/3D/Objects/object_1.model%00",
      "",
      `/${"a/".repeat(600)}x.model`,
    ];
    for (const path of bad) {
      const err = refusal(() => parse3mf(viaPath(path)));
      expect([path, err.code]).toEqual([path, "invalid_model"]);
      expect(err.message).toMatch(/^3MF part name ".*" (points outside|is not|is longer)/s);
    }
    // A zip entry that climbs out of the package is no part, and no reference reaches it.
    const climbing = packageOf({
      "3D/3dmodel.model": rootVia("/x.model"),
      "../x.model": productionModelXml([triangleObject(1)], []),
    });
    expect(reason(climbing)).toMatch(/model part \/x\.model, which is not in the package/);
  });

  it("a part may not refer to another part, so parts cannot form a cycle; within a part, cycles are refused", () => {
    const back = (path: string) =>
      packageOf({
        "3D/3dmodel.model": productionModelXml(
          [
            triangleObject(1),
            `<object id="2"><components><component p:path="/${PART}" objectid="3"/></components></object>`,
          ],
          ['<item objectid="2"/>'],
        ),
        [PART]: productionModelXml(
          [`<object id="3"><components><component p:path="${path}" objectid="1"/></components></object>`],
          [],
        ),
      });
    for (const path of ["/3D/3dmodel.model", `/${PART}`]) {
      expect(reason(back(path))).toBe(
        `3MF model part /${PART} refers to the part ${path}; only the root model may refer to other parts`,
      );
    }
    const self = packageOf({
      "3D/3dmodel.model": productionModelXml(
        ['<object id="2"><components><component p:path="/3D/3dmodel.model" objectid="2"/></components></object>'],
        ['<item objectid="2"/>'],
      ),
    });
    expect(reason(self)).toBe("3MF components form a cycle through object 2");
    const inPart = packageOf({
      "3D/3dmodel.model": rootVia(`/${PART}`, "5"),
      [PART]: productionModelXml(
        [
          '<object id="5"><components><component objectid="6"/></components></object>',
          '<object id="6"><components><component objectid="5"/></components></object>',
        ],
        [],
      ),
    });
    expect(reason(inPart)).toMatch(
      /^3MF components form a cycle through object [56] of \/3D\/Objects\/object_1\.model$/,
    );
  });

  it("a part's own build section is ignored, as the extension says", () => {
    const part = productionModelXml([triangleObject(1)], ['<item objectid="99"/>', '<item objectid="1"/>']);
    expect(parse3mf(packageOf({ "3D/3dmodel.model": rootVia(`/${PART}`), [PART]: part })).triangleCount).toBe(1);
  });

  it("a part in another unit than the root is refused rather than mis-scaled", () => {
    const mixed = packageOf({
      "3D/3dmodel.model": rootVia(`/${PART}`),
      [PART]: productionModelXml([triangleObject(1)], [], "inch"),
    });
    expect(reason(mixed)).toBe(
      `3MF model part /${PART} is in inch, the root model in millimeter: mixed units are not supported`,
    );
  });
});

describe("3MF packages: bounded, and their relationships read", () => {
  const manyParts = (n: number) => {
    const parts: Record<string, string> = {};
    const components: string[] = [];
    for (let i = 0; i < n; i++) {
      parts[`3D/Objects/o${i}.model`] = productionModelXml([triangleObject(1)], []);
      components.push(`<component p:path="/3D/Objects/o${i}.model" objectid="1"/>`);
    }
    const root = productionModelXml(
      [`<object id="1"><components>${components.join("")}</components></object>`],
      ['<item objectid="1"/>'],
    );
    return packageOf({ "3D/3dmodel.model": root, ...parts });
  };

  it(`${MAX_MODEL_PARTS} model parts are read; one more is refused as too large`, () => {
    expect(parse3mf(manyParts(MAX_MODEL_PARTS - 1)).triangleCount).toBe(MAX_MODEL_PARTS - 1);
    const err = refusal(() => parse3mf(manyParts(MAX_MODEL_PARTS)));
    expect(err).toBeInstanceOf(MeshTooLargeError);
    expect(err.message).toBe(`3MF package has more than ${MAX_MODEL_PARTS} model parts: refused`);
  });

  it("the inflate limit counts every part together, and the triangle limit counts placements across parts", () => {
    const project = to3mfProject(
      [0, 40, 80].map((x) => ({ mesh: sphere(8, 24, 12), item: `1 0 0 0 1 0 0 0 1 ${x} 0 0` })),
    );
    // What the parser inflates: the model parts and the package relationships; no one part near the limit.
    const read = Object.entries(unzipSync(project)).filter(([n]) => n.endsWith(".model") || n === "_rels/.rels");
    const inflated = read.reduce((n, [, b]) => n + b.length, 0);
    expect(Math.max(...read.map(([, b]) => b.length))).toBeLessThan(inflated / 2);
    expect(parse3mf(project, { maxUncompressedBytes: inflated }).triangleCount).toBeGreaterThan(0);
    const err = refusal(() => parse3mf(project, { maxUncompressedBytes: inflated - 1 }));
    expect(err).toBeInstanceOf(MeshTooLargeError);
    expect(err.message).toMatch(/inflates to more than/);
    // 300 placements of a part's 1000-triangle object.
    const big = productionModelXml(
      [
        `<object id="1"><components>${'<component objectid="2"/>'.repeat(1000)}</components></object>`,
        triangleObject(2),
      ],
      [],
    );
    const bomb = packageOf({
      "3D/3dmodel.model": productionModelXml(
        [
          `<object id="9"><components>${`<component p:path="/${PART}" objectid="1"/>`.repeat(300)}</components></object>`,
        ],
        ['<item objectid="9"/>'],
      ),
      [PART]: big,
    });
    expect(bomb.length).toBeLessThan(4096);
    expect(parse3mf(bomb).triangleCount).toBe(300_000);
    expect(refusal(() => parse3mf(bomb, { maxTriangles: 299_999 }))).toBeInstanceOf(MeshTooLargeError);
  });

  it("a package of 20,000 other entries is read: the unzipper, which recurses per entry, gets it in slices", () => {
    const files: Record<string, Uint8Array> = {};
    for (let i = 0; i < 20_000; i++) files[`Metadata/p${i}.png`] = new Uint8Array(0);
    files["3D/3dmodel.model"] = strToU8(productionModelXml([triangleObject(1)], ['<item objectid="1"/>']));
    expect(parse3mf(zipSync(files)).triangleCount).toBe(1);
  });

  it("two parts whose names differ only in case are refused: the package is ambiguous", () => {
    const twice = packageOf({
      "3D/3dmodel.model": rootVia(`/${PART}`),
      [PART]: productionModelXml([triangleObject(1)], []),
      "3D/objects/OBJECT_1.model": productionModelXml([triangleObject(1)], []),
    });
    expect(reason(twice)).toBe("3MF package has two parts named /3D/objects/OBJECT_1.model (names ignore case)");
  });

  it("the root part is the one the package relationships name; a package without any falls back to /3D/3dmodel.model", () => {
    const model = productionModelXml([triangleObject(1)], ['<item objectid="1"/>']);
    const other = productionModelXml([], ['<item objectid="1"/>']);
    // The relationships decide, not the conventional name.
    expect(
      parse3mf(packageOf({ "3D/3dmodel.model": other, "3D/build.model": model }, "/3D/build.model")).triangleCount,
    ).toBe(1);
    expect(parse3mf(packageOf({ "3D/3dmodel.model": model }, "3D/3dmodel.model")).triangleCount).toBe(1);
    expect(parse3mf(packageOf({ "3D/3dmodel.model": model }, "/3d/3DModel.MODEL")).triangleCount).toBe(1);
    expect(parse3mf(packageOf({ "3D/Other.model": other, "3D/3dmodel.model": model }, null)).triangleCount).toBe(1);
    expect(reason(packageOf({ "3D/3dmodel.model": model }, "/3D/missing.model"))).toBe(
      "3MF root model part /3D/missing.model is not in the package",
    );
    expect(reason(packageOf({ "3D/3dmodel.model": model }, "http://example.com/3dmodel.model"))).toMatch(
      /points outside the package/,
    );
  });

  it("a Windows zip tool's backslashes in entry names are read as separators", () => {
    const bytes = packageOf({ "3D\\3dmodel.model": productionModelXml([triangleObject(1)], ['<item objectid="1"/>']) });
    expect(parse3mf(bytes).triangleCount).toBe(1);
  });

  it("any p:path is a mesh or a MeshError, never another exception", () => {
    const piece = fc.constantFrom(
      "/",
      "..",
      ".",
      "%",
      "%2e",
      "%2F",
      "%00",
      "\\",
      ":",
      "?",
      "3D",
      "Objects",
      "object_1.model",
    );
    const path = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.array(piece, { maxLength: 8 }).map((p) => p.join("")),
    );
    fc.assert(
      fc.property(path, (p) => {
        const escaped = p.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
        try {
          expect(parse3mf(viaPath(escaped)).triangleCount).toBe(1);
        } catch (err) {
          expect(err).toBeInstanceOf(MeshError);
        }
      }),
      { ...fuzzParams, numRuns: Math.min(fuzzParams.numRuns, 300) },
    );
  });
});

describe("3MF object types", () => {
  const typed = (type: string, over = "") =>
    productionModelXml(
      [
        '<object id="1" type="model"><mesh><vertices><vertex x="0" y="0" z="0"/><vertex x="1" y="0" z="0"/><vertex x="0" y="1" z="0"/><vertex x="0" y="0" z="1"/></vertices><triangles><triangle v1="0" v2="2" v3="1"/><triangle v1="0" v2="1" v3="3"/><triangle v1="0" v2="3" v3="2"/><triangle v1="1" v2="2" v3="3"/></triangles></mesh></object>',
        triangleObject(2).replace("<object", `<object type="${type}"`),
        '<object id="3"><components><component objectid="2"/></components></object>',
      ],
      [over || '<item objectid="1"/><item objectid="2"/>'],
    );
  const zip = (xml: string) => packageOf({ "3D/3dmodel.model": xml });

  it("model and solidsupport are printed; support and surface meshes are not filled, so they add nothing", () => {
    expect(parse3mf(zip(typed("model"))).triangleCount).toBe(5);
    expect(parse3mf(zip(typed("solidsupport"))).triangleCount).toBe(5);
    expect(parse3mf(zip(typed("support"))).triangleCount).toBe(4);
    expect(parse3mf(zip(typed("surface"))).triangleCount).toBe(4);
    expect(measure(parse3mf(zip(typed("support")))).volume).toBeCloseTo(1 / 6, 9);
    const onlySupport = refusal(() => parse3mf(zip(typed("support", '<item objectid="2"/>'))));
    expect(onlySupport.message).toMatch(/^3MF has no triangles to print/);
  });

  it("type other is refused when the build holds it, directly or through a component; an unknown type is refused", () => {
    expect(reason(zip(typed("other")))).toMatch(/^3MF build includes object 2, of type "other"/);
    expect(reason(zip(typed("other", '<item objectid="1"/><item objectid="3"/>')))).toMatch(
      /object 2, of type "other"/,
    );
    // Not built, not refused.
    expect(parse3mf(zip(typed("other", '<item objectid="1"/>'))).triangleCount).toBe(4);
    expect(reason(zip(typed("Model")))).toBe(
      '3MF object 2 has type "Model", not one of model, solidsupport, support, surface, other',
    );
  });
});
