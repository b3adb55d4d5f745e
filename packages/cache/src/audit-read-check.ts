import { digestOf, type LoadBudget } from "./audit-core.ts";
import type { L2Tier } from "./l2-tier.ts";
import { runLoader } from "./run-loader.ts";
import type { Serializer } from "./serializer.ts";
import type { Loader } from "./types.ts";

/** A hit under audit: what was served, and the loader that can read the source again. */
export interface SampledHit {
  k: string;
  key: string;
  value: unknown;
  loader: Loader<unknown>;
  tags: readonly string[];
  layer: "l1" | "l2";
  /** How long the served copy had been in its tier (ms), null when unknown. */
  entryAgeMs: number | null;
}

/** `ok`: the source agrees, or a newer write explains the difference; `skipped`: no verdict possible. */
export type ReadVerdict = "ok" | "violation" | "skipped";

export interface ReadCheckDeps {
  l2: L2Tier;
  serializer: Serializer;
  budget: LoadBudget;
  /** Counts one load of the source made by the audit. */
  loaded: () => void;
  judging: () => boolean;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  delayMs: number;
  boundMs: number;
  clockSkewMs: number;
}

interface Watched {
  k: string;
  tags: readonly string[];
  /** An eviction of the key, of one of its tags or of all L1 arrived since the hit: a newer write. */
  evicted: boolean;
}

/** The re-read's own deadline: a source slower than this gives no verdict. */
const LOAD_TIMEOUT_MS = 10_000;
/** Evicted names remembered for the bus bound; past this many at once, every L2 hit in the bound is let go. */
const MAX_RECENT = 10_000;
const FAILED = Symbol("failed");

/**
 * The check on reads: a sampled hit's value is compared, `delayMs` later, with what its loader reads from
 * the source then. A difference is a violation unless a newer write explains it: the key's version (or its
 * tags', or the generation) moved between the hit and the verdict, or an eviction of it reached this
 * process meanwhile. The verdict on a difference waits `boundMs` more, so a write that raced the re-read
 * has had its invalidation delivered.
 */
export class ReadCheck {
  readonly #watched = new Set<Watched>();
  /** Names evicted here within the last `boundMs` (`k:` keys, `t:` tags), oldest first, with when. */
  readonly #recent = new Map<string, number>();
  /** The last eviction of every name: all of L1 went, or #recent forgot a name still inside the bound. */
  #allAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly d: ReadCheckDeps) {}

  /** In flight now (a bound on the memory the check holds). */
  get pending(): number {
    return this.#watched.size;
  }

  /** Judges one hit; the caller reserved a load in the budget, which this releases. */
  async run(hit: SampledHit): Promise<ReadVerdict> {
    const { d } = this;
    if (this.#racedAnEviction(hit)) {
      d.budget.release();
      return "skipped";
    }
    const w: Watched = { k: hit.k, tags: hit.tags, evicted: false };
    this.#watched.add(w);
    let reserved = true;
    const release = () => {
      if (reserved) d.budget.release();
      reserved = false;
    };
    try {
      const served = digestOf(hit.value, d.serializer);
      const before = await d.l2.readAllVersions(hit.k, hit.tags);
      await d.sleep(d.delayMs);
      // A write since the hit: what was served can no longer be compared with anything.
      if (w.evicted) return "skipped";
      release();
      d.loaded();
      const now = await runLoader(hit.key, hit.loader, { hardTimeout: LOAD_TIMEOUT_MS }).catch(() => FAILED);
      if (now === FAILED) return "skipped";
      if (digestOf(now, d.serializer) === served) return "ok";
      await d.sleep(d.boundMs);
      const after = await d.l2.readAllVersions(hit.k, hit.tags);
      if (w.evicted || (before !== undefined && after !== undefined && before !== after)) return "ok";
      // Without L2's versions, or with the bus or the breaker down, a missed write cannot be told apart.
      if ((d.l2.present && (before === undefined || after === undefined)) || !d.judging()) return "skipped";
      return "violation";
    } finally {
      release();
      this.#watched.delete(w);
    }
  }

  /** Every eviction this process learns of (its own invalidations and the bus's). */
  evicted(keys: readonly string[], tags: readonly string[], all: boolean): void {
    this.#remember(keys, tags, all);
    if (this.#watched.size === 0) return;
    for (const w of this.#watched) {
      if (all || keys.includes(w.k) || w.tags.some((t) => tags.includes(t))) w.evicted = true;
    }
  }

  #remember(keys: readonly string[], tags: readonly string[], all: boolean): void {
    const now = this.d.now();
    if (all) this.#allAt = now;
    const names = [...keys.map((k) => `k:${k}`), ...tags.map((t) => `t:${t}`)];
    for (const name of names) {
      // Re-inserted, so that the map stays in eviction order and the oldest go first.
      this.#recent.delete(name);
      this.#recent.set(name, now);
    }
    for (const [name, at] of this.#recent) {
      if (at > now - this.d.boundMs && this.#recent.size <= MAX_RECENT) break;
      // Forgetting a name still inside the bound would let a raced read through: every name counts instead.
      if (at > now - this.d.boundMs) this.#allAt = Math.max(this.#allAt, at);
      this.#recent.delete(name);
    }
  }

  /**
   * An L2 read that raced a write may serve the old entry while the write's eviction lands (the promise's
   * bound allows it; L1 is not filled from it). When that eviction came before the hit was sampled, nothing
   * after it would explain the difference: an L2 hit on an entry born before an eviction of its key or tags
   * within the bound (clock skew allowed for) gives no verdict. An L1 hit needs no such care: L1 is never
   * filled from a read that an eviction overtook, so an old copy there is a copy the eviction missed.
   */
  #racedAnEviction(hit: SampledHit): boolean {
    if (hit.layer !== "l2") return false;
    const now = this.d.now();
    const at = (name: string) => this.#recent.get(name) ?? Number.NEGATIVE_INFINITY;
    const evictedAt = Math.max(this.#allAt, at(`k:${hit.k}`), ...hit.tags.map((t) => at(`t:${t}`)));
    if (evictedAt <= now - this.d.boundMs) return false;
    return hit.entryAgeMs === null || now - hit.entryAgeMs < evictedAt + this.d.clockSkewMs;
  }
}
