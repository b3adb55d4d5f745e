import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MeshTooLargeError } from "../../src/errors.ts";
import { parseMesh } from "../../src/parse.ts";
import { parseStl, toBinaryStl } from "../../src/parse-stl.ts";
import { edits, FUZZ_TIMEOUT_MS, fuzzParams, LIMITS, meshOrMeshError, mutate, smallMesh } from "./fuzz-kit.ts";

describe("fuzz: binary STL", () => {
  it(
    "mutated files are a mesh within the limit or a MeshError",
    () => {
      fc.assert(
        fc.property(smallMesh, edits, (mesh, list) => {
          const bytes = mutate(toBinaryStl(mesh), list);
          meshOrMeshError(() => parseStl(bytes, LIMITS));
          meshOrMeshError(() => parseMesh(bytes, undefined, LIMITS));
        }),
        fuzzParams,
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    "declared counts, true, false or huge, and non-finite coordinates",
    () => {
      const max = LIMITS.maxTriangles;
      fc.assert(
        fc.property(
          fc.oneof(fc.integer({ min: 0, max: 2 * max }), fc.constantFrom(max, max + 1, 2 ** 31, 0xffffffff)),
          fc.oneof(fc.integer({ min: 0, max: 2 * max }), fc.constantFrom(max, max + 1)),
          fc.array(fc.record({ at: fc.nat(), value: fc.constantFrom(Number.NaN, Infinity, -Infinity, 3e38) }), {
            maxLength: 3,
          }),
          (declared, records, specials) => {
            const bytes = Buffer.alloc(84 + records * 50);
            bytes.writeUInt32LE(declared, 80);
            for (const s of records > 0 ? specials : []) {
              bytes.writeFloatLE(s.value, 84 + (s.at % records) * 50 + 12 + 4 * (s.at % 9));
            }
            const err = meshOrMeshError(() => parseStl(bytes, LIMITS));
            const finite = records === 0 || specials.every((s) => Number.isFinite(s.value));
            if (declared !== records || records === 0) expect(err).toBeDefined();
            else if (records > max) expect(err).toBeInstanceOf(MeshTooLargeError);
            else expect(err === undefined).toBe(finite);
          },
        ),
        fuzzParams,
      );
    },
    FUZZ_TIMEOUT_MS,
  );
});
