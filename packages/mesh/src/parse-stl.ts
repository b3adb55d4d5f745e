import { addTriangles, newBasicSums, rememberSums, sumsFinite } from "./basic.ts";
import { checkTriangles, decodeText, FloatList, type ParseLimits, resolveLimits } from "./bounds.ts";
import { MeshError, MeshTooLargeError } from "./errors.ts";
import { assertFinite, type Mesh } from "./mesh.ts";

const HEADER = 80;
const RECORD = 50;

/**
 * Binary or ASCII STL. A file is binary when its size is exactly 84 + 50 x the triangle count in its
 * header, whatever its first bytes say (binary headers often start with "solid" too).
 */
export function parseStl(bytes: Uint8Array, limits?: ParseLimits): Mesh {
  const bounds = resolveLimits(limits);
  if (bytes.length >= HEADER + 4) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const count = view.getUint32(HEADER, true);
    if (HEADER + 4 + count * RECORD === bytes.length) {
      checkTriangles(count, bounds, "binary STL");
      return parseBinary(view, count);
    }
  }
  if (looksAscii(bytes)) return parseAscii(bytes, bounds.maxTriangles);
  if (bytes.length < HEADER + 4) throw new MeshError(`file too short for a binary STL (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(HEADER, true);
  throw new MeshError(
    `binary STL says ${count} triangles (${HEADER + 4 + count * RECORD} bytes) but the file has ${bytes.length} bytes: truncated or corrupt`,
  );
}

function looksAscii(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 512)).toString("latin1");
  return /^\s*solid\b/.test(head) && /facet|endsolid/.test(head);
}

/** Records per block: small enough that a block's 36 KB of vertices is still in the cache when measured. */
const BLOCK = 1024;

/**
 * Copies the vertices and measures them block by block, in one pass over the file. Two small loops
 * rather than one big one: in a fresh process V8 optimises small functions sooner, and the first blocks
 * run unoptimised. DataView reads little-endian floats at any offset (records are 50 bytes, so half of
 * them are not 4-byte aligned) and are as fast as an aligned view once optimised.
 */
function parseBinary(view: DataView, count: number): Mesh {
  if (count === 0) throw new MeshError("STL has no triangles");
  const positions = new Float32Array(count * 9);
  const sums = newBasicSums();
  for (let first = 0; first < count; first += BLOCK) {
    const last = Math.min(count, first + BLOCK);
    copyVertices(view, positions, first, last);
    addTriangles(positions, first * 9, last * 9, sums);
  }
  if (!sumsFinite(sums)) assertFinite(positions);
  const mesh = { positions, triangleCount: count };
  rememberSums(mesh, sums);
  return mesh;
}

function copyVertices(view: DataView, p: Float32Array, first: number, last: number): void {
  for (let t = first, o = HEADER + 4 + 12 + first * RECORD, i = first * 9; t < last; t++, o += RECORD, i += 9) {
    p[i] = view.getFloat32(o, true);
    p[i + 1] = view.getFloat32(o + 4, true);
    p[i + 2] = view.getFloat32(o + 8, true);
    p[i + 3] = view.getFloat32(o + 12, true);
    p[i + 4] = view.getFloat32(o + 16, true);
    p[i + 5] = view.getFloat32(o + 20, true);
    p[i + 6] = view.getFloat32(o + 24, true);
    p[i + 7] = view.getFloat32(o + 28, true);
    p[i + 8] = view.getFloat32(o + 32, true);
  }
}

function parseAscii(bytes: Uint8Array, maxTriangles: number): Mesh {
  const text = decodeText(bytes, "latin1");
  const coords = new FloatList(
    maxTriangles * 9,
    () => new MeshTooLargeError(`ASCII STL has more than ${maxTriangles} triangles, the limit`),
  );
  const re = /vertex\s+(\S+)\s+(\S+)\s+(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) coords.push3(Number(m[1]), Number(m[2]), Number(m[3]));
  if (coords.length === 0) throw new MeshError("ASCII STL has no vertices");
  if (coords.length % 9 !== 0) throw new MeshError("ASCII STL has a facet without exactly three vertices");
  const positions = coords.view();
  assertFinite(positions);
  return { positions, triangleCount: coords.length / 9 };
}

/** Writes a binary STL (normals zero: readers recompute them). */
export function toBinaryStl(mesh: Mesh, header = "printfab"): Buffer {
  const buf = Buffer.alloc(HEADER + 4 + mesh.triangleCount * RECORD);
  buf.write(header.slice(0, HEADER), 0, "latin1");
  buf.writeUInt32LE(mesh.triangleCount, HEADER);
  let o = HEADER + 4;
  for (let t = 0; t < mesh.triangleCount; t++, o += RECORD) {
    for (let j = 0; j < 9; j++) buf.writeFloatLE(mesh.positions[t * 9 + j] as number, o + 12 + j * 4);
  }
  return buf;
}

/** Writes an ASCII STL. */
export function toAsciiStl(mesh: Mesh, name = "printfab"): string {
  const lines = [`solid ${name}`];
  for (let t = 0; t < mesh.triangleCount; t++) {
    lines.push("  facet normal 0 0 0", "    outer loop");
    for (let v = 0; v < 3; v++) {
      const i = t * 9 + v * 3;
      lines.push(`      vertex ${mesh.positions[i]} ${mesh.positions[i + 1]} ${mesh.positions[i + 2]}`);
    }
    lines.push("    endloop", "  endfacet");
  }
  lines.push(`endsolid ${name}`);
  return lines.join("\n");
}
