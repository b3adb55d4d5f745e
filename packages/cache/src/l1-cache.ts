import { LRUCache } from "lru-cache";
import { type EntryMeta, KIND_BINARY, KIND_NOT_FOUND } from "./entry.ts";

/**
 * What L1 keeps of an entry: what serving it needs (its times, its kind for the size, its tags for tag
 * evictions), not the versions it was checked against in L2, which no L1 read looks at.
 */
export interface L1Entry extends Pick<EntryMeta, "kind" | "freshUntil" | "staleUntil" | "loadMs" | "tags"> {
  value: unknown;
  /** What the entry costs the heap, as `l1EntrySize` estimates it; the budget counts this. */
  size: number;
  /** When it was put here (L1's clock): the consistency auditor asks whether it predates a write. */
  heldSince: number;
}

/** Most entries have no tags: they share one empty list instead of holding one each. */
const NO_TAGS: string[] = [];
Object.freeze(NO_TAGS);

/**
 * The heap cost model, measured on Node 20 with `node --expose-gc` by test/support/l1-calibrate.ts (run it
 * again after changing what an entry holds). An entry costs its object, its times, lru-cache's bookkeeping
 * and its key whatever its value: about 255 bytes plus a byte per key character. So a not-found marker is
 * not free: counted at 0 bytes, 400,000 of them once took the heap from 46 MB to 451 MB under 64 MB.
 */
export const L1_ENTRY_OVERHEAD = 320;
/** Per tag of an entry: its place in the entry's list and in the tag index (about 45 bytes measured). */
export const L1_TAG_OVERHEAD = 48;
/**
 * A decoded JSON value against its serialized length: 1.2 for a product with a description, 1.5 for an
 * array of numbers, 2.0 for a page of twenty small objects (measured), plus a fixed part for the smallest.
 */
export const L1_DECODED_FACTOR = 2;
const DECODED_OVERHEAD = 64;
/** A Buffer's object beyond its bytes (which live outside the V8 heap, but in the process all the same). */
const BUFFER_OVERHEAD = 128;

/** What an entry of `bodyBytes` serialized bytes costs in L1, keys and tags included. */
export function l1EntrySize(key: string, meta: Pick<EntryMeta, "kind" | "tags">, bodyBytes: number): number {
  let value = DECODED_OVERHEAD + L1_DECODED_FACTOR * bodyBytes;
  if (meta.kind === KIND_NOT_FOUND) value = 0;
  else if (meta.kind === KIND_BINARY) value = BUFFER_OVERHEAD + bodyBytes;
  // Keys are ASCII (normalizeKey), one byte a character; two are counted, for the margin.
  return L1_ENTRY_OVERHEAD + 2 * key.length + meta.tags.length * L1_TAG_OVERHEAD + value;
}

export interface L1Options {
  /** The budget in bytes, as `l1EntrySize` counts them. */
  maxBytes: number;
  /** The clock entries' times are read against (the cache's). */
  now?: () => number;
  /** How often entries past their stale window are swept out, so they leave at their time, not under pressure. */
  sweepMs?: number;
}

/** The in-process tier: an LRU bounded in bytes, with an index from tag to keys for tag evictions. */
export class L1Cache {
  readonly #lru: LRUCache<string, L1Entry>;
  readonly #byTag = new Map<string, Set<string>>();
  readonly #now: () => number;
  readonly #sweepMs: number;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(opts: L1Options) {
    this.#now = opts.now ?? Date.now;
    this.#sweepMs = opts.sweepMs ?? 1000;
    this.#lru = new LRUCache<string, L1Entry>({
      maxSize: opts.maxBytes,
      sizeCalculation: (e) => e.size,
      dispose: (e, k) => this.#unindex(e, k),
    });
  }

  /** The entry, unless it is past its stale window (then it goes). */
  get(key: string): L1Entry | undefined {
    const e = this.#lru.get(key);
    if (e && this.#now() >= e.staleUntil) {
      this.#lru.delete(key);
      return undefined;
    }
    return e;
  }

  set(key: string, meta: EntryMeta, value: unknown, bodyBytes: number): void {
    const entry: L1Entry = {
      kind: meta.kind,
      freshUntil: meta.freshUntil,
      staleUntil: meta.staleUntil,
      loadMs: meta.loadMs,
      tags: meta.tags.length > 0 ? meta.tags : NO_TAGS,
      value,
      size: l1EntrySize(key, meta, bodyBytes),
      heldSince: this.#now(),
    };
    this.#lru.set(key, entry);
    // An entry larger than the whole budget is refused by the LRU.
    if (!this.#lru.has(key)) return;
    for (const t of entry.tags) {
      let keys = this.#byTag.get(t);
      if (!keys) {
        keys = new Set();
        this.#byTag.set(t, keys);
      }
      keys.add(key);
    }
    this.#startSweeper();
  }

  delete(key: string): void {
    this.#lru.delete(key);
  }

  deleteTag(tag: string): void {
    const keys = this.#byTag.get(tag);
    if (!keys) return;
    for (const k of [...keys]) this.#lru.delete(k);
    this.#byTag.delete(tag);
  }

  /** The keys of the entries that carry `tag`. */
  keysOfTag(tag: string): Iterable<string> {
    return this.#byTag.get(tag) ?? [];
  }

  clear(): void {
    this.#lru.clear();
    this.#byTag.clear();
  }

  /** Drops the entries past their stale window now; the sweeper calls it every `sweepMs`. */
  sweep(): void {
    const now = this.#now();
    const expired: string[] = [];
    for (const [k, e] of this.#lru.entries()) if (now >= e.staleUntil) expired.push(k);
    for (const k of expired) this.#lru.delete(k);
  }

  /** Stops the sweeper; the entries stay until the cache is dropped. */
  close(): void {
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }

  get size(): number {
    return this.#lru.size;
  }

  get bytes(): number {
    return this.#lru.calculatedSize;
  }

  #startSweeper() {
    if (this.#sweeper) return;
    this.#sweeper = setInterval(() => {
      this.sweep();
      // An empty L1 needs no timer; the next fill starts it again.
      if (this.#lru.size === 0) this.close();
    }, this.#sweepMs);
    this.#sweeper.unref();
  }

  #unindex(e: L1Entry, k: string) {
    for (const t of e.tags) {
      const keys = this.#byTag.get(t);
      if (!keys) continue;
      keys.delete(k);
      if (keys.size === 0) this.#byTag.delete(t);
    }
  }
}
