import { getRandomValues } from "node:crypto";
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

export interface Measurements extends BasicMeasurements {
  /** Every edge shared by exactly two triangles, after welding vertices within the tolerance. */
  watertight: boolean;
  /** Every shared edge is walked in opposite directions by its two triangles. */
  consistentOrientation: boolean;
  /** Edges used by one triangle only (holes) or by more than two. */
  boundaryEdges: number;
  nonManifoldEdges: number;
  degenerateTriangles: number;
  vertexCount: number;
}

/** Bounding box, volume (sum of signed tetrahedra), surface area: one pass over the triangles. */
export function measureBasic(mesh: Mesh): BasicMeasurements {
  const p = mesh.positions;
  let minX = Infinity,
    minY = Infinity,
    minZ = Infinity,
    maxX = -Infinity,
    maxY = -Infinity,
    maxZ = -Infinity;
  let vol6 = 0;
  let area2 = 0;
  for (let i = 0; i < mesh.triangleCount * 9; i += 9) {
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
    area2 += Math.sqrt(nx * nx + ny * ny + nz * nz);
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
  const volume = vol6 / 6;
  return {
    triangleCount: mesh.triangleCount,
    bbox: { min: [minX, minY, minZ], max: [maxX, maxY, maxZ], size: [maxX - minX, maxY - minY, maxZ - minZ] },
    volume: Math.abs(volume),
    surfaceArea: area2 / 2,
    inverted: volume < 0,
  };
}

/** 2^31 - 1, a prime: the weld hashes a cell by a random linear form modulo it. */
const P = 2147483647;

/** This process's weld key: coefficients of that form, unknown to whoever wrote the file being measured. */
const PROCESS_KEY = getRandomValues(new Uint32Array(12));

const cellBits = new Float64Array(3);
const cellWords = new Uint32Array(cellBits.buffer);

/**
 * A cell's hash: its three coordinates as doubles are twelve 16-bit halves h, hashed as sum(a[j] * h[j])
 * mod P with random a (multilinear hashing, exact in doubles: each product is below 2^47). Two distinct
 * cells collide with probability 1/P over the key, whatever the file, so no layout of vertices (equal low
 * bits, huge values differing only in high bits) can pile them into one chain, as the former hash of the
 * coordinates' low bits let a file do. Every bit counts: cell coordinates can exceed 2^53.
 */
function cellHash(x: number, y: number, z: number, a: Float64Array): number {
  // -0 + 0 is +0: the two zeros are one cell and must hash alike.
  cellBits[0] = x + 0;
  cellBits[1] = y + 0;
  cellBits[2] = z + 0;
  let h = 0;
  for (let j = 0; j < 6; j++) {
    const w = cellWords[j] as number;
    h += (a[2 * j] as number) * (w & 0xffff) + (a[2 * j + 1] as number) * (w >>> 16);
  }
  // A structured file gives structured sums (an arithmetic progression, say), which would cluster in the
  // low bits the table uses: murmur3's finaliser, a bijection, spreads them without adding collisions.
  let m = h % P;
  m = Math.imul(m ^ (m >>> 16), 0x85ebca6b);
  m = Math.imul(m ^ (m >>> 13), 0xc2b2ae35);
  return m ^ (m >>> 16);
}

/**
 * Welds vertices that fall in the same cell of a grid of `tolerance` mm (a chained hash table over typed
 * arrays: a Map of 3,000,000 string keys would take seconds), then returns each corner's vertex id.
 * `probes` counts the cells compared: at most about one per corner for any file, as long as the key (random
 * per process; a fixed one in tests) is unknown to whoever wrote it.
 */
export function weldVertices(
  mesh: Mesh,
  tolerance: number,
  key: Uint32Array = PROCESS_KEY,
): { ids: Uint32Array; vertexCount: number; probes: number } {
  const n = mesh.triangleCount * 3;
  const p = mesh.positions;
  const inv = 1 / tolerance;
  const a = Float64Array.from(key, (w) => w % P);
  // Half as many buckets as corners: a real mesh has about one vertex per six corners, so its chains are
  // short, and even a file of all-distinct corners averages two per bucket; the table stays small.
  let cap = 1;
  while (cap * 2 < n) cap <<= 1;
  const mask = cap - 1;
  // A bucket chains the corners that first produced each of its vertices: head[bucket] is the latest,
  // next[corner] the one before. A corner's cell is recomputed on comparison, which costs a few
  // multiplications and saves three arrays of cell coordinates.
  const head = new Int32Array(cap).fill(-1);
  const next = new Int32Array(n);
  const ids = new Uint32Array(n);
  let count = 0;
  let probes = 0;
  for (let i = 0; i < n; i++) {
    const x = Math.round((p[i * 3] as number) * inv),
      y = Math.round((p[i * 3 + 1] as number) * inv),
      z = Math.round((p[i * 3 + 2] as number) * inv);
    const bucket = cellHash(x, y, z, a) & mask;
    let s = head[bucket] as number;
    for (; s !== -1; s = next[s] as number) {
      probes++;
      if (
        Math.round((p[s * 3] as number) * inv) === x &&
        Math.round((p[s * 3 + 1] as number) * inv) === y &&
        Math.round((p[s * 3 + 2] as number) * inv) === z
      )
        break;
    }
    if (s === -1) {
      next[i] = head[bucket] as number;
      head[bucket] = i;
      ids[i] = count++;
    } else ids[i] = ids[s] as number;
  }
  return { ids, vertexCount: count, probes };
}

/** The full analysis: basic measurements plus topology (watertightness, orientation, degenerate triangles). */
export function measure(mesh: Mesh, tolerance = 1e-4): Measurements {
  const basic = measureBasic(mesh);
  const { ids, vertexCount } = weldVertices(mesh, tolerance);
  let degenerate = 0;
  // Each edge as (min, max) * 2 + direction, sorted so that the uses of one edge sit together.
  const edges = new Float64Array(mesh.triangleCount * 3);
  let e = 0;
  for (let t = 0; t < mesh.triangleCount; t++) {
    const a = ids[t * 3] as number,
      b = ids[t * 3 + 1] as number,
      c = ids[t * 3 + 2] as number;
    if (a === b || b === c || a === c) {
      degenerate++;
      continue;
    }
    for (const [u, v] of [
      [a, b],
      [b, c],
      [c, a],
    ] as const) {
      edges[e++] = (u < v ? u * vertexCount + v : v * vertexCount + u) * 2 + (u < v ? 0 : 1);
    }
  }
  const sorted = edges.subarray(0, e).sort();
  let boundary = 0;
  let nonManifold = 0;
  let inconsistent = 0;
  for (let i = 0; i < sorted.length; ) {
    const key = Math.floor((sorted[i] as number) / 2);
    let j = i;
    let forward = 0;
    while (j < sorted.length && Math.floor((sorted[j] as number) / 2) === key) {
      if ((sorted[j] as number) % 2 === 0) forward++;
      j++;
    }
    const uses = j - i;
    if (uses === 1) boundary++;
    else if (uses > 2) nonManifold++;
    else if (forward !== 1) inconsistent++;
    i = j;
  }
  return {
    ...basic,
    watertight: boundary === 0 && nonManifold === 0 && e > 0,
    consistentOrientation: inconsistent === 0 && nonManifold === 0,
    boundaryEdges: boundary,
    nonManifoldEdges: nonManifold,
    degenerateTriangles: degenerate + countZeroArea(mesh, ids),
    vertexCount,
  };
}

/** Triangles with distinct welded corners but (almost) no area: collinear corners. */
function countZeroArea(mesh: Mesh, ids: Uint32Array): number {
  const p = mesh.positions;
  let n = 0;
  for (let t = 0; t < mesh.triangleCount; t++) {
    if (ids[t * 3] === ids[t * 3 + 1] || ids[t * 3 + 1] === ids[t * 3 + 2] || ids[t * 3] === ids[t * 3 + 2]) continue;
    const i = t * 9;
    const ux = (p[i + 3] as number) - (p[i] as number),
      uy = (p[i + 4] as number) - (p[i + 1] as number),
      uz = (p[i + 5] as number) - (p[i + 2] as number);
    const vx = (p[i + 6] as number) - (p[i] as number),
      vy = (p[i + 7] as number) - (p[i + 1] as number),
      vz = (p[i + 8] as number) - (p[i + 2] as number);
    const cx = uy * vz - uz * vy,
      cy = uz * vx - ux * vz,
      cz = ux * vy - uy * vx;
    const lenU = ux * ux + uy * uy + uz * uz,
      lenV = vx * vx + vy * vy + vz * vz;
    if (cx * cx + cy * cy + cz * cz <= 1e-12 * lenU * lenV) n++;
  }
  return n;
}
