import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MeshTooLargeError } from "../../src/errors.ts";
import { parseMesh } from "../../src/parse.ts";
import { parseStl, toAsciiStl } from "../../src/parse-stl.ts";
import { edits, FUZZ_TIMEOUT_MS, fuzzParams, LIMITS, meshOrMeshError, mutate, smallMesh } from "./fuzz-kit.ts";

/** A coordinate as written in the file: mostly plain numbers, sometimes not finite or not a number. */
const coordinate = fc.oneof(
  { weight: 30, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom("NaN", "Infinity", "-Infinity", "1e999", "abc") },
);
const finiteText = (t: string) => Number.isFinite(Number(t));

describe("fuzz: ASCII STL", () => {
  it(
    "mutated files are a mesh within the limit or a MeshError",
    () => {
      fc.assert(
        fc.property(smallMesh, edits, (mesh, list) => {
          const bytes = mutate(Buffer.from(toAsciiStl(mesh)), list);
          meshOrMeshError(() => parseStl(bytes, LIMITS));
          meshOrMeshError(() => parseMesh(bytes, undefined, LIMITS));
        }),
        fuzzParams,
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    "facets past the limit, facets of 2 or 4 vertices, and non-numbers",
    () => {
      const facet = fc.record({
        vertices: fc.constantFrom(3, 3, 3, 3, 3, 3, 2, 4),
        coords: fc.array(coordinate, { minLength: 12, maxLength: 12 }),
      });
      fc.assert(
        fc.property(
          fc.array(facet, { maxLength: 12 }),
          fc.integer({ min: 0, max: 2 * LIMITS.maxTriangles }),
          (facets, copies) => {
            // `copies` repeats the first facet: enough of them cross the limit.
            const all = facets.length > 0 ? [...facets, ...Array(copies).fill(facets[0])] : facets;
            const lines = ["solid fuzz"];
            for (const f of all) {
              lines.push(" facet normal 0 0 0", "  outer loop");
              for (let v = 0; v < f.vertices; v++)
                lines.push(`   vertex ${f.coords.slice(v * 3, v * 3 + 3).join(" ")}`);
              lines.push("  endloop", " endfacet");
            }
            lines.push("endsolid fuzz");
            const err = meshOrMeshError(() => parseStl(Buffer.from(lines.join("\n")), LIMITS));
            const vertices = all.reduce((n, f) => n + f.vertices, 0);
            const finite = all.every((f) => f.coords.slice(0, f.vertices * 3).every(finiteText));
            if (vertices > 3 * LIMITS.maxTriangles) expect(err).toBeInstanceOf(MeshTooLargeError);
            else expect(err === undefined).toBe(vertices > 0 && vertices % 3 === 0 && finite);
          },
        ),
        fuzzParams,
      );
    },
    FUZZ_TIMEOUT_MS,
  );
});
