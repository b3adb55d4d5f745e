import type { Mesh } from "./mesh.ts";

export interface BasicMeasurements {
  triangleCount: number;
  /** mm */
  bbox: { min: [number, number, number]; max: [number, number, number]; size: [number, number, number] };
  /** mm³, made positive */
  volume: number;
  /** mm² */
  surfaceArea: number;
  /** True when the signed volume was negative: the triangles face inwards. */
  inverted: boolean;
}

/**
 * The running state of one pass of basic measurements, so that a parser can measure each block of
 * triangles it has just written while the block is still in the cache: 6 x the signed volume, 2 x the
 * area, min x, max x, min y, max y, min z, max z, then the number of flat triangles (collinear corners:
 * the full analysis counts them as degenerate, and would otherwise take a pass over the mesh to find them).
 */
export type BasicSums = Float64Array;

/** Where the flat triangles are counted in the sums. */
export const FLAT = 8;

export const newBasicSums = (): BasicSums =>
  Float64Array.of(0, 0, Infinity, -Infinity, Infinity, -Infinity, Infinity, -Infinity, 0);

/**
 * Adds the triangles of `p` from float `from` to float `to` (multiples of 9) to the sums: the volume as a
 * sum of signed tetrahedra, the area as half the cross products' lengths, the bounding box.
 */
export function addTriangles(p: Float32Array, from: number, to: number, s: BasicSums): void {
  let vol6 = s[0] as number,
    area2 = s[1] as number;
  let minX = s[2] as number,
    maxX = s[3] as number,
    minY = s[4] as number,
    maxY = s[5] as number,
    minZ = s[6] as number,
    maxZ = s[7] as number,
    flat = s[8] as number;
  for (let i = from; i < to; i += 9) {
    const ax = p[i] as number,
      ay = p[i + 1] as number,
      az = p[i + 2] as number;
    const bx = p[i + 3] as number,
      by = p[i + 4] as number,
      bz = p[i + 5] as number;
    const cx = p[i + 6] as number,
      cy = p[i + 7] as number,
      cz = p[i + 8] as number;
    vol6 += ax * (by * cz - bz * cy) - ay * (bx * cz - bz * cx) + az * (bx * cy - by * cx);
    const ux = bx - ax,
      uy = by - ay,
      uz = bz - az,
      vx = cx - ax,
      vy = cy - ay,
      vz = cz - az;
    const nx = uy * vz - uz * vy,
      ny = uz * vx - ux * vz,
      nz = ux * vy - uy * vx;
    const cross2 = nx * nx + ny * ny + nz * nz;
    area2 += Math.sqrt(cross2);
    // Counted without a branch: an increment first reached after V8 optimised the loop would undo that.
    flat += cross2 <= 1e-12 * (ux * ux + uy * uy + uz * uz) * (vx * vx + vy * vy + vz * vz) ? 1 : 0;
    if (ax < minX) minX = ax;
    if (ax > maxX) maxX = ax;
    if (bx < minX) minX = bx;
    if (bx > maxX) maxX = bx;
    if (cx < minX) minX = cx;
    if (cx > maxX) maxX = cx;
    if (ay < minY) minY = ay;
    if (ay > maxY) maxY = ay;
    if (by < minY) minY = by;
    if (by > maxY) maxY = by;
    if (cy < minY) minY = cy;
    if (cy > maxY) maxY = cy;
    if (az < minZ) minZ = az;
    if (az > maxZ) maxZ = az;
    if (bz < minZ) minZ = bz;
    if (bz > maxZ) maxZ = bz;
    if (cz < minZ) minZ = cz;
    if (cz > maxZ) maxZ = cz;
  }
  s.set([vol6, area2, minX, maxX, minY, maxY, minZ, maxZ, flat]);
}

/**
 * The triangle at float `i`, as `addTriangles` sees it: into `out`, the cross product of its edges from the
 * first corner (an unnormalised normal, `out[0..2]`) and those edges' squared lengths (`out[3]`, `out[4]`).
 * A scratch array rather than a new one: the preview calls it once per drawn triangle.
 */
export function triangleCross(p: Float32Array, i: number, out: Float64Array): Float64Array {
  const ux = (p[i + 3] as number) - (p[i] as number),
    uy = (p[i + 4] as number) - (p[i + 1] as number),
    uz = (p[i + 5] as number) - (p[i + 2] as number);
  const vx = (p[i + 6] as number) - (p[i] as number),
    vy = (p[i + 7] as number) - (p[i + 1] as number),
    vz = (p[i + 8] as number) - (p[i + 2] as number);
  out[0] = uy * vz - uz * vy;
  out[1] = uz * vx - ux * vz;
  out[2] = ux * vy - uy * vx;
  out[3] = ux * ux + uy * uy + uz * uz;
  out[4] = vx * vx + vy * vy + vz * vz;
  return out;
}

const flatScratch = new Float64Array(5);

/** The flatness test of `addTriangles` for the triangle at float `i`: its corners (almost) collinear. */
export function isFlat(p: Float32Array, i: number): boolean {
  const c = triangleCross(p, i, flatScratch);
  const nx = c[0] as number,
    ny = c[1] as number,
    nz = c[2] as number;
  return nx * nx + ny * ny + nz * nz <= 1e-12 * (c[3] as number) * (c[4] as number);
}

/**
 * True when every coordinate summed was finite: a NaN anywhere makes the volume NaN (each coordinate is
 * a factor of some product in it), an infinity makes a bound infinite, and finite float32s cannot
 * overflow these doubles.
 */
export function sumsFinite(s: BasicSums): boolean {
  let total = 0;
  for (let j = 0; j < FLAT; j++) total += s[j] as number;
  return Number.isFinite(total);
}

export function basicFromSums(s: BasicSums, triangleCount: number): BasicMeasurements {
  const at = (j: number) => s[j] as number;
  const min: [number, number, number] = [at(2), at(4), at(6)];
  const max: [number, number, number] = [at(3), at(5), at(7)];
  const volume = at(0) / 6;
  return {
    triangleCount,
    bbox: { min, max, size: [max[0] - min[0], max[1] - min[1], max[2] - min[2]] },
    volume: Math.abs(volume),
    surfaceArea: at(1) / 2,
    inverted: volume < 0,
  };
}

/**
 * The sums a parser computed while writing a mesh, by its positions array: measuring that mesh again
 * would be a second pass over tens of megabytes. Parsed meshes are never written to afterwards; a mesh
 * built over the same array with another triangle count is measured afresh.
 */
const measuredAtParse = new WeakMap<Float32Array, { triangleCount: number; sums: BasicSums }>();

export function rememberSums(mesh: Mesh, sums: BasicSums): void {
  measuredAtParse.set(mesh.positions, { triangleCount: mesh.triangleCount, sums });
}

export function sumsOf(mesh: Mesh): BasicSums {
  const known = measuredAtParse.get(mesh.positions);
  if (known && known.triangleCount === mesh.triangleCount) return known.sums;
  const sums = newBasicSums();
  addTriangles(mesh.positions, 0, mesh.triangleCount * 9, sums);
  return sums;
}
