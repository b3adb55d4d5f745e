import type { EntryMeta } from "./entry.ts";
import type { L1Cache, L1Entry } from "./l1-cache.ts";
import { SingleFlight } from "./single-flight.ts";
import type { CacheResult } from "./types.ts";

/** A value that may be served if a load fails or is slow, or a hit: its value and its times. */
export interface Candidate {
  value: unknown;
  meta: Pick<EntryMeta, "freshUntil" | "staleUntil">;
}

/** How long L1 has held what it holds of some keys and tags (ms), by name. */
export interface HeldFor {
  keys: Map<string, number>;
  tags: Map<string, number>;
}

/**
 * This process's part of a cache: L1, the loads in flight, and the epoch that counts every invalidation
 * this process learns of (an L1 fill after an L2 read needs it unchanged). L1 is read and filled only
 * while `trusted` says so (the bus's verdict).
 */
export class LocalTier {
  readonly flights = new SingleFlight<CacheResult<unknown>>();
  /** Told of every eviction here (the consistency auditor's read check); `all` for L1 emptied. */
  onEvict: ((keys: readonly string[], tags: readonly string[], all: boolean) => void) | undefined;
  #epoch = 0;

  constructor(
    private readonly l1: L1Cache | undefined,
    private readonly isTrusted: () => boolean,
  ) {}

  get epoch(): number {
    return this.#epoch;
  }

  get trusted(): boolean {
    return this.isTrusted();
  }

  /** The key's L1 entry, if L1 may be served and the entry is not past its stale window. */
  get(k: string): L1Entry | undefined {
    return this.l1 && this.isTrusted() ? this.l1.get(k) : undefined;
  }

  /** Fills L1 if it may be used and, when `epoch` is given, nothing was invalidated since it was read. */
  fill(k: string, e: { meta: EntryMeta; body: Buffer; value: unknown }, epoch?: number): void {
    if (!this.l1 || !this.isTrusted() || (epoch !== undefined && epoch !== this.#epoch)) return;
    this.l1.set(k, e.meta, e.value, e.body.length);
  }

  /** Drops the keys and tags here: L1 entries, and loads in flight that must not fill. */
  evict(keys: readonly string[], tags: readonly string[]): void {
    this.#epoch++;
    this.onEvict?.(keys, tags, false);
    for (const k of keys) {
      this.flights.invalidateKey(k);
      this.l1?.delete(k);
    }
    for (const t of tags) {
      this.flights.invalidateTag(t);
      this.l1?.deleteTag(t);
    }
  }

  /**
   * How long L1 has held the served entry of each name (a key, or the oldest entry of a tag), in ms, for
   * those it holds at all; nothing while L1 is not trusted (it serves nothing then).
   */
  heldFor(keys: readonly string[], tags: readonly string[], now: number): HeldFor {
    const out: HeldFor = { keys: new Map(), tags: new Map() };
    if (!this.l1 || !this.isTrusted()) return out;
    for (const k of keys) {
      const e = this.l1.get(k);
      if (e) out.keys.set(k, now - e.heldSince);
    }
    for (const t of tags) {
      let oldest: number | undefined;
      for (const k of this.l1.keysOfTag(t)) {
        const e = this.l1.get(k);
        if (e && (oldest === undefined || e.heldSince < oldest)) oldest = e.heldSince;
      }
      if (oldest !== undefined) out.tags.set(t, now - oldest);
    }
    return out;
  }

  /** L1's entries and the bytes they are counted at; undefined when L1 is off. */
  get usage(): { entries: number; bytes: number } | undefined {
    return this.l1 ? { entries: this.l1.size, bytes: this.l1.bytes } : undefined;
  }

  evictAll(): void {
    this.#epoch++;
    this.onEvict?.([], [], true);
    this.l1?.clear();
    this.flights.invalidateAll();
  }

  close(): void {
    this.l1?.close();
  }
}
