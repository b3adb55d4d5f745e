import { LRUCache } from "lru-cache";
import type { EntryMeta } from "./entry.ts";

export interface L1Entry extends EntryMeta {
  value: unknown;
  size: number;
}

/** The in-process tier: an LRU bounded in bytes, with an index from tag to keys for tag evictions. */
export class L1Cache {
  readonly #lru: LRUCache<string, L1Entry>;
  readonly #byTag = new Map<string, Set<string>>();

  constructor(maxBytes: number) {
    this.#lru = new LRUCache<string, L1Entry>({
      maxSize: maxBytes,
      sizeCalculation: (e, k) => e.size + k.length + 64,
      dispose: (e, k) => {
        for (const t of e.tags) {
          const keys = this.#byTag.get(t);
          if (!keys) continue;
          keys.delete(k);
          if (keys.size === 0) this.#byTag.delete(t);
        }
      },
    });
  }

  get(key: string): L1Entry | undefined {
    return this.#lru.get(key);
  }

  set(key: string, entry: L1Entry): void {
    this.#lru.set(key, entry);
    if (!this.#lru.has(key)) return;
    for (const t of entry.tags) {
      let keys = this.#byTag.get(t);
      if (!keys) {
        keys = new Set();
        this.#byTag.set(t, keys);
      }
      keys.add(key);
    }
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

  clear(): void {
    this.#lru.clear();
    this.#byTag.clear();
  }

  get size(): number {
    return this.#lru.size;
  }

  get bytes(): number {
    return this.#lru.calculatedSize;
  }
}
