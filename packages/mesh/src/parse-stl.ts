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

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const SCRATCH_RECORDS = 2048;

/**
 * Copies the 9 vertex floats of each record into `positions`. Records are 50 bytes, so every other
 * record's floats sit 2 bytes off a 4-byte boundary: the even records are read through an aligned view
 * of the file, the odd ones through a small scratch block copied 2 bytes over, block by block (a copy
 * of the whole file would double the memory).
 */
function copyVertices(bytes: Uint8Array, count: number, positions: Float32Array): number {
  const base = HEADER + 4 + 12;
  // A file that starts off a 4-byte boundary (a slice of a pooled buffer) is copied once to one that does not.
  if ((bytes.byteOffset + base) % 4 !== 0) return copyVertices(Uint8Array.from(bytes), count, positions);
  let sum = 0;
  const whole = new Float32Array(bytes.buffer, bytes.byteOffset + base, Math.floor((bytes.length - base) / 4));
  const scratchBytes = new Uint8Array(SCRATCH_RECORDS * RECORD + 4);
  const scratch = new Float32Array(scratchBytes.buffer);
  for (let first = 0; first < count; first += SCRATCH_RECORDS) {
    const last = Math.min(count, first + SCRATCH_RECORDS);
    const start = base + first * RECORD;
    // The block shifted by 2 bytes, so that the odd records' floats align.
    const shift = 2;
    scratchBytes.set(bytes.subarray(start + shift, Math.min(bytes.length, start + (last - first) * RECORD + shift)));
    for (let t = first; t < last; t++) {
      const local = (t - first) * RECORD;
      const even = t % 2 === 0;
      const src = even ? whole : scratch;
      const i = even ? (t * RECORD) / 4 : (local - shift) / 4;
      const p = t * 9;
      for (let j = 0; j < 9; j++) {
        const v = src[i + j] as number;
        sum += v;
        positions[p + j] = v;
      }
    }
  }
  return sum;
}

function parseBinary(view: DataView, count: number): Mesh {
  if (count === 0) throw new MeshError("STL has no triangles");
  const positions = new Float32Array(count * 9);
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  let sum = 0;
  if (LITTLE_ENDIAN) sum = copyVertices(bytes, count, positions);
  else {
    for (let t = 0, p = 0, o = HEADER + 4 + 12; t < count; t++, o += RECORD) {
      for (let j = 0; j < 9; j++) {
        const v = view.getFloat32(o + j * 4, true);
        sum += v;
        positions[p++] = v;
      }
    }
  }
  // A sum of float32s cannot overflow a double, so it is finite exactly when every coordinate is.
  if (!Number.isFinite(sum)) assertFinite(positions);
  return { positions, triangleCount: count };
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
