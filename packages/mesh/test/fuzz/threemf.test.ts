import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MeshTooLargeError } from "../../src/errors.ts";
import { parseMesh } from "../../src/parse.ts";
import { parse3mf } from "../../src/parse-3mf.ts";
import { componentBombXml, modelXml, to3mf, triangleObject, zip3mf } from "../fixtures.ts";
import { edits, FUZZ_TIMEOUT_MS, fuzzParams, LIMITS, meshOrMeshError, mutate, smallMesh } from "./fuzz-kit.ts";

const MAX = LIMITS.maxTriangles;
/** Random graphs rarely expand far: a lower limit gets a fifth of them refused as too large. */
const GRAPH_LIMITS = { ...LIMITS, maxTriangles: 30 };
const GOOD_TRANSFORMS = ["1 0 0 0 1 0 0 0 1 5 0 0", "0 1 0 -1 0 0 0 0 2 0 0 0"];
const BAD_TRANSFORMS = ["1 0 0", "NaN 0 0 0 1 0 0 0 1 0 0 0", "1 0 0 0 1 0 0 0 1 Infinity 0 0", "a b c"];

/**
 * Objects 0..n-1, each with its own triangles and components. Most graphs are tame: acyclic and well
 * formed, so they can expand far; one in five is wild: components of any object, n (missing) included,
 * and bad transforms.
 */
const graph = fc.integer({ min: 1, max: 8 }).chain((n) =>
  fc
    .record({
      objects: fc.array(
        fc.record({
          triangles: fc.integer({ min: 0, max: 3 }),
          components: fc.array(
            fc.record({
              target: fc.integer({ min: 0, max: n }),
              transform: fc.option(
                fc.oneof(
                  { weight: 12, arbitrary: fc.constantFrom(...GOOD_TRANSFORMS) },
                  { weight: 1, arbitrary: fc.constantFrom(...BAD_TRANSFORMS) },
                ),
              ),
            }),
            { maxLength: 6 },
          ),
        }),
        { minLength: n, maxLength: n },
      ),
      items: fc.array(fc.integer({ min: 0, max: n }), { minLength: 1, maxLength: 3 }),
      wild: fc.integer({ min: 1, max: 5 }).map((k) => k === 1),
    })
    .map((g) => ({
      items: g.wild ? g.items : g.items.map((i) => i % n),
      objects: g.objects.map((o, id) => ({
        triangles: o.triangles,
        components: g.wild ? o.components : o.components.filter(() => id < n - 1).map((c) => tame(c, id, n)),
      })),
    })),
);

/** A component of a tame graph: it refers to a later object, with a valid transform or none. */
function tame(c: { target: number; transform: string | null }, id: number, n: number) {
  const transform = c.transform !== null && BAD_TRANSFORMS.includes(c.transform) ? GOOD_TRANSFORMS[0] : c.transform;
  return { target: id + 1 + (c.target % (n - 1 - id)), transform: transform ?? null };
}
type Graph = typeof graph extends fc.Arbitrary<infer T> ? T : never;

function graphXml(g: Graph): string {
  const objects = g.objects.map((o, id) => {
    const vertices = '<vertex x="0" y="0" z="0"/><vertex x="1" y="0" z="0"/><vertex x="0" y="1" z="0"/>';
    const triangles = '<triangle v1="0" v2="1" v3="2"/>'.repeat(o.triangles);
    const components = o.components
      .map((c) => `<component objectid="${c.target}"${c.transform === null ? "" : ` transform="${c.transform}"`}/>`)
      .join("");
    return `<object id="${id}"><mesh><vertices>${vertices}</vertices><triangles>${triangles}</triangles></mesh><components>${components}</components></object>`;
  });
  return modelXml(objects, g.items.map(String));
}

/**
 * What the build should give, from the 3MF rules alone: for a graph whose reachable part is acyclic, refers
 * to existing objects only and has valid transforms, the expanded triangle count and the placements that
 * hold triangles (both bounded by the limit); anything else is invalid.
 */
function expectedBuild(g: Graph): { triangles: number; placements: number } | "invalid" {
  const memo = new Map<number, { triangles: number; placements: number }>();
  const onPath = new Set<number>();
  const expand = (id: number): { triangles: number; placements: number } | "invalid" => {
    const object = g.objects[id];
    if (!object || onPath.has(id)) return "invalid";
    const known = memo.get(id);
    if (known) return known;
    onPath.add(id);
    let triangles = object.triangles;
    let placements = 0;
    for (const c of object.components) {
      const child = c.transform !== null && BAD_TRANSFORMS.includes(c.transform) ? "invalid" : expand(c.target);
      if (child === "invalid") return "invalid";
      triangles += child.triangles;
      placements += child.placements;
    }
    onPath.delete(id);
    const result = { triangles, placements: placements + (triangles > 0 ? 1 : 0) };
    memo.set(id, result);
    return result;
  };
  let triangles = 0;
  let placements = 0;
  for (const item of g.items) {
    const e = expand(item);
    if (e === "invalid") return "invalid";
    triangles += e.triangles;
    placements += e.placements;
  }
  return { triangles, placements };
}

describe("fuzz: 3MF", () => {
  it(
    "mutated archives and mutated model XML are a mesh within the limit or a MeshError",
    () => {
      fc.assert(
        fc.property(smallMesh, edits, fc.boolean(), (mesh, list, inXml) => {
          const xml = Buffer.from(componentBombXml(3, 3));
          const bytes = inXml ? zip3mf(Buffer.from(mutate(xml, list)).toString("latin1")) : mutate(to3mf(mesh), list);
          meshOrMeshError(() => parse3mf(bytes, LIMITS));
          meshOrMeshError(() => parseMesh(bytes, undefined, LIMITS));
        }),
        fuzzParams,
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    "component graphs (wide, shared, cyclic, dangling, badly transformed) expand exactly or are refused",
    () => {
      fc.assert(
        fc.property(graph, (g) => {
          const bytes = zip3mf(graphXml(g));
          const err = meshOrMeshError(() => parse3mf(bytes, GRAPH_LIMITS), GRAPH_LIMITS);
          const want = expectedBuild(g);
          const max = GRAPH_LIMITS.maxTriangles;
          if (want === "invalid" || want.triangles === 0) {
            expect(err).toBeDefined();
            expect(err).not.toBeInstanceOf(MeshTooLargeError);
          } else if (want.triangles > max || want.placements > max) expect(err).toBeInstanceOf(MeshTooLargeError);
          else expect(parse3mf(bytes, GRAPH_LIMITS).triangleCount).toBe(want.triangles);
        }),
        fuzzParams,
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    "layered component bombs: deep ones refused as too deep, wide ones as too large, others in full",
    () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 24 }), fc.integer({ min: 1, max: 8 }), (levels, width) => {
          const err = meshOrMeshError(() => parse3mf(zip3mf(componentBombXml(levels, width)), LIMITS));
          let placements = 0;
          for (let k = 0; k <= levels; k++) placements += width ** k;
          if (levels > 16) expect(err?.message).toMatch(/too deep/);
          else if (width ** levels > MAX || placements > MAX) expect(err).toBeInstanceOf(MeshTooLargeError);
          else expect(err).toBeUndefined();
        }),
        fuzzParams,
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    "transforms of any numbers: non-numbers refused, and so are coordinates they push past float32",
    () => {
      const number = fc.oneof(
        fc.double(),
        fc.constantFrom("NaN", "Infinity", "1e39", "-1e300", "0x10", "1,5", ""),
        fc.double({ min: -10, max: 10, noNaN: true }),
      );
      fc.assert(
        fc.property(fc.array(number, { minLength: 11, maxLength: 13 }), (m) => {
          const transform = m.map(String).join(" ");
          const xml = modelXml(
            [
              triangleObject(1),
              `<object id="2"><components><component objectid="1" transform="${transform}"/></components></object>`,
            ],
            ["2"],
          );
          const err = meshOrMeshError(() => parse3mf(zip3mf(xml), LIMITS));
          const values = transform.trim().split(/\s+/).map(Number);
          // The corners (0,0,0), (1,0,0) and (0,1,0) land on the translation, row 0 + it and row 1 + it.
          const at = (i: number) => values[i] as number;
          const corners = [0, 1, 2].flatMap((k) =>
            [0, 1, 2].map((c) => at(9 + c) + (k === 1 ? at(c) : k === 2 ? at(3 + c) : 0)),
          );
          const valid = values.length === 12 && values.every(Number.isFinite);
          expect(err === undefined).toBe(valid && corners.every((v) => Number.isFinite(Math.fround(v))));
        }),
        fuzzParams,
      );
    },
    FUZZ_TIMEOUT_MS,
  );
});
