import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MeshTooLargeError } from "../../src/errors.ts";
import { parseMesh } from "../../src/parse.ts";
import { parseObj, toObj } from "../../src/parse-obj.ts";
import { edits, FUZZ_TIMEOUT_MS, fuzzParams, LIMITS, meshOrMeshError, mutate, smallMesh } from "./fuzz-kit.ts";

const BAD_INDICES = ["0", "-0", "1.9", "1abc", "+1", "1e0", "0x1", "99999999999999999999", "/1", "a/1"];

/** A face of `corners` valid references (1-based or negative, with /vt/vn parts), perhaps one bad one. */
const face = fc.record({
  corners: fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 2 * LIMITS.maxTriangles })),
  style: fc.constantFrom("v", "v/t", "v/t/n", "v//n", "-v"),
  bad: fc.option(fc.record({ at: fc.nat(), token: fc.constantFrom(...BAD_INDICES) }), { freq: 4 }),
});
const vertex = fc.oneof(
  {
    weight: 20,
    arbitrary: fc.tuple(fc.integer({ min: -99, max: 99 }), fc.integer(), fc.integer()).map((v) => v.join(" ")),
  },
  { weight: 1, arbitrary: fc.constantFrom("NaN 0 0", "0 Infinity 0", "0 0 1e999", "1 2") },
);

type Face = typeof face extends fc.Arbitrary<infer T> ? T : never;

function faceLine(f: Face, vertexCount: number): string {
  const refs = Array.from({ length: f.corners }, (_, i) => {
    const v = (i % vertexCount) + 1;
    return f.style === "-v" ? `${v - vertexCount - 1}` : f.style.replace("v", String(v));
  });
  if (f.bad && refs.length > 0) refs[f.bad.at % refs.length] = f.bad.token;
  return `f ${refs.join(" ")}`;
}

describe("fuzz: OBJ", () => {
  it(
    "mutated files are a mesh within the limit or a MeshError",
    () => {
      fc.assert(
        fc.property(smallMesh, edits, (mesh, list) => {
          const bytes = mutate(Buffer.from(toObj(mesh)), list);
          meshOrMeshError(() => parseObj(bytes, LIMITS));
          meshOrMeshError(() => parseMesh(bytes, undefined, LIMITS));
        }),
        fuzzParams,
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    "huge fans, bad indices and non-finite vertices: refused for the right reason",
    () => {
      fc.assert(
        fc.property(
          fc.array(vertex, { minLength: 1, maxLength: 12 }),
          fc.array(face, { maxLength: 5 }),
          (vs, faces) => {
            const text = [...vs.map((v) => `v ${v}`), ...faces.map((f) => faceLine(f, vs.length))].join("\n");
            const err = meshOrMeshError(() => parseObj(Buffer.from(text), LIMITS));
            // The parser's order: a vertex line short of x y z, then face by face its corners, its indices,
            // the running triangle count; at the end, empty or non-finite. A bare "f" is no face line.
            let expected: "invalid" | "too large" | "ok" = vs.some((v) => v === "1 2") ? "invalid" : "ok";
            let triangles = 0;
            for (const f of expected === "ok" ? faces : []) {
              if (f.corners === 0) continue;
              if (f.corners < 3 || f.bad) expected = "invalid";
              else if (triangles + f.corners - 2 > LIMITS.maxTriangles) expected = "too large";
              else triangles += f.corners - 2;
              if (expected !== "ok") break;
            }
            const used = vs.slice(0, Math.max(...faces.map((f) => f.corners), 0));
            const finite = used.every((v) => v.split(" ").every((c) => Number.isFinite(Number(c))));
            if (expected === "ok" && (triangles === 0 || !finite)) expected = "invalid";
            if (expected === "ok") expect(err).toBeUndefined();
            else if (expected === "too large") expect(err).toBeInstanceOf(MeshTooLargeError);
            else expect(err).toBeDefined();
            if (expected === "invalid") expect(err).not.toBeInstanceOf(MeshTooLargeError);
          },
        ),
        fuzzParams,
      );
    },
    FUZZ_TIMEOUT_MS,
  );
});
