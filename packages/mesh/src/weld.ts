import { getRandomValues } from "node:crypto";
import type { Mesh } from "./mesh.ts";

/**
 * The weld's key: 36 tables of 256 random words, 12 per cell coordinate (4 for the bytes of a coordinate
 * that is an int32, 8 for those of any other as a double), unknown to whoever wrote the file. Per process.
 */
export const WELD_KEY_WORDS = 36 * 256;
const PROCESS_KEY = getRandomValues(new Uint32Array(WELD_KEY_WORDS));

const cellBits = new Float64Array(1);
const cellWords = new Uint32Array(cellBits.buffer);

/**
 * One cell coordinate's share of the hash: the xor of one random word per byte, from that byte's table.
 * A coordinate that is an int32 (any mesh of sane size and tolerance) gives its four bytes directly; any
 * other (cell coordinates can exceed 2^53) the eight bytes of its double, looked up in tables of their
 * own, so that no int32 and no double share entries.
 */
function coordinateHash(c: number, t: Uint32Array, base: number): number {
  // -0 | 0 is 0: the two zeros are one cell and must hash alike.
  if (c === (c | 0)) {
    return (
      (t[base + (c & 0xff)] as number) ^
      (t[base + 256 + ((c >>> 8) & 0xff)] as number) ^
      (t[base + 512 + ((c >>> 16) & 0xff)] as number) ^
      (t[base + 768 + (c >>> 24)] as number)
    );
  }
  cellBits[0] = c;
  let h = 0;
  for (let k = 0; k < 8; k++) {
    const word = cellWords[k >> 2] as number;
    h ^= t[base + 1024 + k * 256 + ((word >>> ((k & 3) * 8)) & 0xff)] as number;
  }
  return h;
}

/**
 * A cell's hash by simple tabulation: the xor of random words picked by the bytes of its coordinates.
 * It is 3-independent, and linear probing with it takes O(1) expected probes for any set of keys
 * (Pătraşcu and Thorup, 2012), so no layout of vertices (equal low bits, huge values differing only in
 * high bits) can pile them into one run of slots without knowing the tables.
 */
function cellHash(x: number, y: number, z: number, t: Uint32Array): number {
  return coordinateHash(x, t, 0) ^ coordinateHash(y, t, 12 * 256) ^ coordinateHash(z, t, 24 * 256);
}

export interface Weld {
  /** Each corner's vertex id, numbered in order of first use (so the key never changes them). */
  ids: Uint32Array;
  vertexCount: number;
  /** Occupied slots of the table compared with a looked-up cell: about one per lookup, at most one lookup per corner. */
  probes: number;
}

/** Entries of the cache of recent corners: 256 KB, within a core's L2. */
const RECENT_BITS = 16;

/**
 * Welds vertices that fall in the same cell of a grid of `tolerance` mm, and numbers them in order of
 * first use (so the key never changes the result). Most corners repeat a corner a few triangles back bit
 * for bit (a vertex is shared by about six triangles, written near each other), and equal coordinates are
 * the same cell: a small direct-mapped cache of recent corners, by their bits, answers those without
 * rounding, hashing or touching the big table, whose slots are cache misses. An attacker can only make
 * that cache miss, never make it wrong. `probes` counts the big table's comparisons.
 */
export function weldVertices(mesh: Mesh, tolerance: number, key: Uint32Array = PROCESS_KEY): Weld {
  const n = mesh.triangleCount * 3;
  const p = mesh.positions;
  const bits = new Int32Array(p.buffer, p.byteOffset, p.length);
  const table = new VertexTable(p, n, 1 / tolerance, key);
  const recent = new Int32Array(1 << RECENT_BITS);
  const ids = new Uint32Array(n);
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    const r = recentSlot(bits[j] as number, bits[j + 1] as number, bits[j + 2] as number);
    const seen = (recent[r] as number) - 1;
    const s = seen * 3;
    if (seen >= 0 && p[s] === p[j] && p[s + 1] === p[j + 1] && p[s + 2] === p[j + 2]) {
      ids[i] = ids[seen] as number;
      continue;
    }
    recent[r] = i + 1;
    ids[i] = table.idOf(i, ids);
  }
  return { ids, vertexCount: table.count, probes: table.probes };
}

/**
 * A corner's entry in the cache of recent corners, from its coordinates' bits. Each word's high half is
 * folded into its low half first: a sum or xor of the words alone sends (x, y) and (-x, -y), which differ
 * in the sign bits only, to one entry, and a sphere is made of such pairs.
 */
function recentSlot(x: number, y: number, z: number): number {
  const h =
    Math.imul(x ^ (x >>> 16), 0x9e3779b1) ^
    Math.imul(y ^ (y >>> 16), 0x85ebca6b) ^
    Math.imul(z ^ (z >>> 16), 0xc2b2ae35);
  return Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> (32 - RECENT_BITS);
}

/**
 * The weld's table: open addressing over an Int32Array that holds, per vertex, the first corner that had
 * it (plus one, as 0 marks a free slot). A corner's cell is recomputed from the positions on comparison,
 * which costs a few multiplications and saves three arrays of cells. Linear probing, at most half full,
 * grown as it fills; a Map of 3,000,000 string keys would take seconds. `probes` stays about one per
 * corner looked up as long as the key (random per process; a fixed one in tests) is unknown to whoever
 * wrote the file.
 */
class VertexTable {
  #slots: Int32Array;
  readonly #key: Uint32Array;
  count = 0;
  probes = 0;

  constructor(
    private readonly p: Float32Array,
    corners: number,
    private readonly inv: number,
    key: Uint32Array,
  ) {
    if (key.length !== WELD_KEY_WORDS) throw new RangeError(`a weld key is ${WELD_KEY_WORDS} words`);
    this.#key = key;
    // A real mesh has about one vertex per six corners: a table of corners/2 slots is rarely grown.
    this.#slots = new Int32Array(Math.max(16, 2 ** Math.ceil(Math.log2(corners / 2))));
  }

  /** The vertex of corner `i`, a new one (the next id) if its cell has none yet. */
  idOf(i: number, ids: Uint32Array): number {
    const x = this.#cell(i * 3),
      y = this.#cell(i * 3 + 1),
      z = this.#cell(i * 3 + 2);
    const slots = this.#slots;
    const mask = slots.length - 1;
    const h = cellHash(x, y, z, this.#key);
    // The step is taken at the top, so that every lookup runs it: V8 optimises this loop before the
    // first collision, and an operation never run by then would throw the optimised code away.
    for (let step = -1; ; ) {
      step++;
      const s = (h + step) & mask;
      const first = (slots[s] as number) - 1;
      if (first < 0) {
        slots[s] = i + 1;
        if (++this.count * 2 > slots.length) this.#grow(ids, i);
        return this.count - 1;
      }
      this.probes++;
      if (this.#cell(first * 3) === x && this.#cell(first * 3 + 1) === y && this.#cell(first * 3 + 2) === z) {
        return ids[first] as number;
      }
    }
  }

  #cell(k: number): number {
    return Math.round((this.p[k] as number) * this.inv);
  }

  /**
   * Four times the slots, every vertex re-inserted (all distinct, so none is compared), found as the first
   * corner of each id in corner order up to `last`, the newest vertex's: a walk through the positions in
   * order, where walking the old slots would read them at random. A table that had to grow is a file of
   * mostly distinct corners, which would soon fill twice the slots again: each growth writes every vertex
   * into the new slots at random, the dearest part of welding such a file.
   */
  #grow(ids: Uint32Array, last: number): void {
    const next = new Int32Array(this.#slots.length * 4);
    const mask = next.length - 1;
    for (let c = 0, v = 0; c <= last; c++) {
      if (c < last && ids[c] !== v) continue;
      v++;
      let s = cellHash(this.#cell(c * 3), this.#cell(c * 3 + 1), this.#cell(c * 3 + 2), this.#key) & mask;
      while (next[s] !== 0) s = (s + 1) & mask;
      next[s] = c + 1;
    }
    this.#slots = next;
  }
}
