import type { L2Driver } from "./l2-driver.ts";

/** What one write invalidates: its keys and its tags, kept and replayed together, never half. */
export interface InvalidationUnit {
  keys: readonly string[];
  tags: readonly string[];
}

interface Pending {
  driver: L2Driver;
  keys: Set<string>;
  tags: Set<string>;
  /** Too much was kept: the key space's generation is bumped instead of replaying each key and tag. */
  fence: boolean;
}

/**
 * Invalidations that could not reach L2, per key space, replayed before the connection is used again.
 *
 * Recovery ordering (the design the README describes):
 *  - In this process, the connection's tier replays the journal before any other command goes through it,
 *    reads included, so no cache on the connection reads L2 while one of them still owes an invalidation.
 *  - Across processes, a process that owes invalidations finds Redis back within one heartbeat (beats are
 *    probes that skip the breaker's open period) and replays first thing: another process may meet an
 *    entry whose invalidation is owed elsewhere for at most one heartbeat interval plus a round trip after
 *    Redis answers again (250 ms by default).
 *  - Within a replay, a unit leaves the journal only when all of its keys and tags landed; a key space
 *    that kept more than `maxPerKeySpace` names is fenced instead: one INCR of its generation makes every
 *    entry it holds a miss for every process at once (each entry carries the generation it was loaded
 *    under, and reads compare it in the same MGET), where a replay of thousands of keys would leave
 *    readers a window between its first and last command.
 * Each replayed step is idempotent, so a replay that fails half-way is simply run again.
 */
export class InvalidationJournal {
  readonly #pending = new Map<string, Pending>();
  /** Entries taken out for the replay under way. */
  readonly #inFlight = new Set<Pending>();
  #replaying: Promise<void> | undefined;

  constructor(
    private readonly opts: {
      /** Names (keys + tags) kept per key space before it is fenced instead. */
      maxPerKeySpace: number;
      /** The sender of the evictions a replay publishes. */
      from: string;
    },
  ) {}

  /** Names owed, those being replayed included (what /health reports). */
  get size(): number {
    let n = 0;
    for (const p of [...this.#pending.values(), ...this.#inFlight]) n += p.fence ? 1 : p.keys.size + p.tags.size;
    return n;
  }

  /** Nothing owed and nothing being replayed: reads may go to L2. */
  get empty(): boolean {
    return this.#pending.size === 0 && this.#replaying === undefined;
  }

  remember(driver: L2Driver, unit: InvalidationUnit): void {
    const p = this.#entry(driver);
    if (p.fence) return;
    for (const k of unit.keys) p.keys.add(k);
    for (const t of unit.tags) p.tags.add(t);
    if (p.keys.size + p.tags.size > this.opts.maxPerKeySpace) {
      p.fence = true;
      p.keys.clear();
      p.tags.clear();
    }
  }

  /** Replays everything kept, once at a time; what was added meanwhile waits for the next replay. */
  replay(): Promise<void> {
    this.#replaying ??= this.#replayAll().finally(() => {
      this.#replaying = undefined;
    });
    return this.#replaying;
  }

  async #replayAll() {
    for (const [prefix, p] of [...this.#pending]) {
      // Taken out while it replays: what a write remembers meanwhile goes into a fresh entry that this
      // replay cannot delete (a name already kept, or a unit behind a fence, would otherwise be lost).
      this.#pending.delete(prefix);
      this.#inFlight.add(p);
      try {
        await this.#replayOne(p.driver, [...p.keys], [...p.tags], p.fence);
      } catch (err) {
        this.#putBack(p);
        throw err;
      } finally {
        this.#inFlight.delete(p);
      }
    }
  }

  /**
   * Every entry of the key space is suspect, not only named ones (Redis's master changed and may have lost
   * invalidations it had acknowledged): the replay bumps its generation.
   */
  fence(driver: L2Driver): void {
    const p = this.#entry(driver);
    p.fence = true;
    p.keys.clear();
    p.tags.clear();
  }

  /** A replay that failed: its names are owed again, beside whatever was remembered meanwhile. */
  #putBack(p: Pending): void {
    if (p.fence) this.fence(p.driver);
    else this.remember(p.driver, { keys: [...p.keys], tags: [...p.tags] });
  }

  async #replayOne(driver: L2Driver, keys: string[], tags: string[], fence: boolean) {
    const from = this.opts.from;
    if (fence) {
      await driver.bumpGeneration();
      await driver.publish({ from, all: true });
      return;
    }
    await Promise.all([
      keys.length ? driver.invalidate(keys) : undefined,
      tags.length ? driver.bumpTags(tags) : undefined,
    ]);
    await driver.publish({ from, keys, tags });
  }

  #entry(driver: L2Driver): Pending {
    const prefix = driver.keys.prefix;
    let p = this.#pending.get(prefix);
    if (!p) {
      p = { driver, keys: new Set(), tags: new Set(), fence: false };
      this.#pending.set(prefix, p);
    }
    return p;
  }
}
