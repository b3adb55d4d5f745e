import fc from "fast-check";
import { expect } from "vitest";
import type { ParseLimits } from "../../src/bounds.ts";
import { MeshError } from "../../src/errors.ts";
import type { Mesh } from "../../src/mesh.ts";

/**
 * Runs per property: small by default so that every fuzz file together stays well under 20 s on two cores;
 * FUZZ_RUNS=5000 (say) for a long hunt. The seed is fixed so that CI is reproducible; FUZZ_SEED overrides
 * it, and a failure prints the seed and path to replay.
 */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 500);
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
export const fuzzParams = { numRuns: FUZZ_RUNS, seed: FUZZ_SEED };
/** Long hunts need more than vitest's default per-test timeout. */
export const FUZZ_TIMEOUT_MS = Math.max(30_000, FUZZ_RUNS * 100);

/** Limits small enough that the generators reach them in a few kilobytes. */
export const LIMITS: Required<ParseLimits> = { maxTriangles: 500, maxUncompressedBytes: 256 * 1024 };

/**
 * The contract of every parser: a mesh within the limit, with finite coordinates and 9 floats per
 * triangle, or a MeshError. Anything else (a TypeError, a RangeError, a crash) fails the property.
 * Returns the refusal, if any, for properties that expect a particular one.
 */
export function meshOrMeshError(parse: () => Mesh, limits: ParseLimits = LIMITS): MeshError | undefined {
  let mesh: Mesh;
  try {
    mesh = parse();
  } catch (err) {
    expect(err).toBeInstanceOf(MeshError);
    return err as MeshError;
  }
  expect(mesh.triangleCount).toBeGreaterThan(0);
  expect(mesh.triangleCount).toBeLessThanOrEqual(limits.maxTriangles ?? Number.POSITIVE_INFINITY);
  expect(mesh.positions.length).toBe(mesh.triangleCount * 9);
  expect(mesh.positions.every(Number.isFinite)).toBe(true);
  return undefined;
}

/** Text that parsers treat specially or that looks almost like a number. */
const TOKENS = [
  " ",
  "\n",
  "\t",
  "/",
  "-",
  "NaN",
  "Infinity",
  "-Infinity",
  "1e999",
  "-0",
  "0x10",
  "1.9",
  "1abc",
  "99999999999999999999",
  "v",
  "f",
  "vertex",
  "facet",
  "endsolid",
  "<",
  ">",
  '"',
  '<component objectid="1"/>',
];

/** One edit of a file: a bit flipped, bytes (random or a token) inserted or overwritten, a run deleted. */
const edit = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.constantFrom(...TOKENS).map((t) => Buffer.from(t)),
  }),
  fc.record({
    kind: fc.constant("overwrite" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 32 }) }),
);
export const edits = fc.array(edit, { minLength: 1, maxLength: 6 });
type Edit = typeof edit extends fc.Arbitrary<infer T> ? T : never;

/** The file with the edits applied in turn, each at a position taken modulo the file's current length. */
export function mutate(file: Uint8Array, list: Edit[]): Uint8Array {
  let bytes = Uint8Array.from(file);
  for (const e of list) {
    const at = e.at % (bytes.length + 1);
    if (e.kind === "flip") {
      if (at < bytes.length) bytes[at] = (bytes[at] as number) ^ (1 << e.bit);
    } else if (e.kind === "overwrite") {
      bytes.set(e.bytes.subarray(0, bytes.length - at), at);
    } else if (e.kind === "insert") {
      bytes = Buffer.concat([bytes.subarray(0, at), e.bytes, bytes.subarray(at)]);
    } else {
      bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + e.length)]);
    }
  }
  return bytes;
}

/** A small random mesh: 1 to 40 triangles of coordinates within ±1000. */
export const smallMesh = fc
  .array(fc.float({ min: -1000, max: 1000, noNaN: true }), { minLength: 9, maxLength: 360 })
  .map((coords) => {
    const usable = coords.slice(0, coords.length - (coords.length % 9));
    return { positions: Float32Array.from(usable), triangleCount: usable.length / 9 } satisfies Mesh;
  });
