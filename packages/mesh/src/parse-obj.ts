import { checkTriangles, decodeText, FloatList, type ParseLimits, resolveLimits } from "./bounds.ts";
import { MeshError, MeshTooLargeError } from "./errors.ts";
import { assertFinite, type Mesh } from "./mesh.ts";

/** Real polygons have thousands of corners at most; a face is read into an array of this size at most. */
export const MAX_FACE_VERTICES = 100_000;

const VERTEX = /^v\s+(\S+)\s+(\S+)\s+(\S+)/;
/** The vertex part of a face corner (`v`, `v/vt`, `v/vt/vn`, `v//vn`): a whole number, nothing else. */
const INDEX = /^-?\d+$/;

/**
 * Wavefront OBJ: `v` and `f` lines; 1-based and negative (relative) indices; polygons fanned into triangles.
 * Lines are walked one by one and every count is checked before the storage for it is taken.
 */
export function parseObj(bytes: Uint8Array, limits?: ParseLimits): Mesh {
  const bounds = resolveLimits(limits);
  const text = decodeText(bytes, "utf8");
  // A triangle soup needs three vertices per triangle: more than that many cannot all be used.
  const vertices = new FloatList(
    bounds.maxTriangles * 9,
    () => new MeshTooLargeError(`OBJ has more than ${bounds.maxTriangles * 3} vertices, the limit`),
  );
  // Faces are checked against the limit before they are emitted, so this cap is never the one that bites.
  const out = new FloatList(bounds.maxTriangles * 9, () => new MeshTooLargeError("OBJ has too many triangles"));
  let lineNo = 0;
  for (let start = 0; start < text.length; ) {
    const newline = text.indexOf("\n", start);
    const end = newline === -1 ? text.length : newline;
    const line = text.slice(start, end).trim();
    start = end + 1;
    lineNo++;
    if (line.startsWith("v ")) {
      const m = VERTEX.exec(line);
      if (!m) throw new MeshError(`line ${lineNo}: a vertex needs x y z`);
      vertices.push3(Number(m[1]), Number(m[2]), Number(m[3]));
    } else if (line.startsWith("f ")) {
      const idx = faceIndices(line, lineNo, vertices.length / 3);
      checkTriangles(out.length / 9 + idx.length - 2, bounds, `OBJ (by line ${lineNo})`);
      const v = vertices.view();
      for (let k = 1; k + 1 < idx.length; k++) {
        out.pushFrom(v, (idx[0] as number) * 3);
        out.pushFrom(v, (idx[k] as number) * 3);
        out.pushFrom(v, (idx[k + 1] as number) * 3);
      }
    }
  }
  if (out.length === 0) throw new MeshError("OBJ has no faces");
  const positions = out.view();
  assertFinite(positions);
  return { positions, triangleCount: out.length / 9 };
}

/** A face's 0-based vertex indices; its corners are counted before any array is made for them. */
function faceIndices(line: string, lineNo: number, vertexCount: number): Int32Array {
  const n = countTokens(line, MAX_FACE_VERTICES + 1) - 1;
  if (n < 3) throw new MeshError(`line ${lineNo}: a face needs at least 3 vertices`);
  if (n > MAX_FACE_VERTICES) {
    throw new MeshTooLargeError(`line ${lineNo}: a face has more than ${MAX_FACE_VERTICES} vertices, the limit`);
  }
  const refs = line.split(/\s+/);
  const idx = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const ref = refs[k + 1] as string;
    const slash = ref.indexOf("/");
    const digits = slash === -1 ? ref : ref.slice(0, slash);
    if (!INDEX.test(digits)) throw new MeshError(`line ${lineNo}: vertex index ${ref} is not a whole number`);
    const v = Number(digits);
    const i = v < 0 ? vertexCount + v : v - 1;
    if (v === 0 || i < 0 || i >= vertexCount) throw new MeshError(`line ${lineNo}: vertex index ${ref} does not exist`);
    idx[k] = i;
  }
  return idx;
}

/** Whitespace-separated tokens in the line, counting no further than `stop`. */
function countTokens(line: string, stop: number): number {
  const re = /\S+/g;
  let n = 0;
  while (n <= stop && re.exec(line)) n++;
  return n;
}

/** Writes an OBJ with shared vertices (every triangle's corners as separate vertices). */
export function toObj(mesh: Mesh): string {
  const lines: string[] = [];
  for (let i = 0; i < mesh.positions.length; i += 3)
    lines.push(`v ${mesh.positions[i]} ${mesh.positions[i + 1]} ${mesh.positions[i + 2]}`);
  for (let t = 0; t < mesh.triangleCount; t++) lines.push(`f ${t * 3 + 1} ${t * 3 + 2} ${t * 3 + 3}`);
  return lines.join("\n");
}
