import { constants } from "node:buffer";
import { MeshTooLargeError } from "./errors.ts";

/**
 * What a parser may allocate. Every limit is checked before the memory is taken: a plain JS array grown
 * past V8's size limit does not throw, it aborts the whole process (worker threads included).
 */
export interface ParseLimits {
  /** Triangles in the parsed mesh, after 3MF components and OBJ polygons are expanded; default 5,000,000. */
  maxTriangles?: number;
  /** Refuse 3MF archives whose model parts inflate beyond this (zip bombs); default 256 MB. */
  maxUncompressedBytes?: number;
}

export const DEFAULT_LIMITS: Required<ParseLimits> = {
  maxTriangles: 5_000_000,
  maxUncompressedBytes: 256 * 1024 * 1024,
};

export function resolveLimits(limits: ParseLimits = {}): Required<ParseLimits> {
  return {
    maxTriangles: limits.maxTriangles ?? DEFAULT_LIMITS.maxTriangles,
    maxUncompressedBytes: limits.maxUncompressedBytes ?? DEFAULT_LIMITS.maxUncompressedBytes,
  };
}

/** Refuses a mesh of more triangles than the limit; called with counts known before allocating them. */
export function checkTriangles(count: number, limits: Required<ParseLimits>, what: string): void {
  if (count > limits.maxTriangles) {
    throw new MeshTooLargeError(`${what} has ${count} triangles, more than the limit of ${limits.maxTriangles}`);
  }
}

/** The bytes as a string; a file past V8's longest string would otherwise fail with a plain Error. */
export function decodeText(bytes: Uint8Array, encoding: "latin1" | "utf8"): string {
  if (bytes.length > constants.MAX_STRING_LENGTH) {
    throw new MeshTooLargeError(`a text model of ${bytes.length} bytes is longer than can be read`);
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(encoding);
}

/**
 * A Float32Array that doubles as it fills, up to a hard cap: the parsers' only growable storage. Past the
 * cap, `full` says why the model is refused.
 */
export class FloatList {
  #data: Float32Array;
  #length = 0;

  constructor(
    private readonly cap: number,
    private readonly full: () => MeshTooLargeError,
  ) {
    this.#data = new Float32Array(Math.min(cap, 1024));
  }

  get length(): number {
    return this.#length;
  }

  push3(x: number, y: number, z: number): void {
    if (this.#length + 3 > this.#data.length) this.#grow(this.#length + 3);
    const d = this.#data;
    d[this.#length] = x;
    d[this.#length + 1] = y;
    d[this.#length + 2] = z;
    this.#length += 3;
  }

  /** Copies three floats from `from` at `i` (a vertex list's entry) to the end. */
  pushFrom(from: Float32Array, i: number): void {
    this.push3(from[i] as number, from[i + 1] as number, from[i + 2] as number);
  }

  /** The filled part, without a copy (the spare capacity stays allocated until it is dropped). */
  view(): Float32Array {
    return this.#data.subarray(0, this.#length);
  }

  #grow(needed: number): void {
    if (needed > this.cap) throw this.full();
    const next = new Float32Array(Math.min(this.cap, Math.max(needed, this.#data.length * 2)));
    next.set(this.#data.subarray(0, this.#length));
    this.#data = next;
  }
}
