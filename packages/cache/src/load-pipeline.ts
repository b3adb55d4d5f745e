import { traceLoad } from "./cache-tracing.ts";
import {
  type BuiltEntry,
  buildEntry,
  decodeEntry,
  decodeValue,
  type EntryContext,
  encodeEntry,
  entryCurrent,
  shouldRefreshEarly,
} from "./entry.ts";
import type { CacheTelemetry } from "./events.ts";
import { normalizeKey } from "./keys.ts";
import type { L1Entry } from "./l1-cache.ts";
import type { LeaseGrant } from "./l2-driver.ts";
import type { L2Tier } from "./l2-tier.ts";
import { LeaseWaiters } from "./lease-waiters.ts";
import type { Candidate, LocalTier } from "./local-tier.ts";
import { type AlsoFilled, runLoader } from "./run-loader.ts";
import type { Serializer } from "./serializer.ts";
import type { Flight } from "./single-flight.ts";
import type { CacheResult, EntryOptions, LoadContext, Loader } from "./types.ts";

export interface PipelineDeps {
  id: string;
  /** The cache's name, for its spans. */
  name: string;
  local: LocalTier;
  l2: L2Tier;
  telemetry: CacheTelemetry;
  serializer: Serializer;
  leaseMs: number;
  waitPollMs: number;
  now: () => number;
  random: () => number;
  /** Every L2 hit served, with its loader (the consistency auditor samples some). */
  l2Hit: (k: string, key: string, entry: BuiltEntry, loader: Loader<unknown>, tags: readonly string[]) => void;
}

interface L2Lookup {
  hit?: BuiltEntry;
  stale?: Candidate;
  /** Whether L2 held an entry at all (fresh, stale, or of an older tag version or generation). */
  present: boolean;
  generation: number;
  tagVersions: number[];
  /** The lease the read took or was refused, with its token, when the key held nothing. */
  lease?: LeaseGrant & { token: string };
}

/** One load through the tiers: a miss (`refresh` false) or a refresh-ahead of a value still fresh. */
interface LoadJob {
  /** The normalized key, and the caller's (for events and the loader). */
  k: string;
  key: string;
  loader: Loader<unknown>;
  o: EntryOptions;
  stale: Candidate | undefined;
  refresh: boolean;
  /** What the caller already read from L2 (undefined: L2 bypassed), or null when nothing was read yet. */
  first: L2Lookup | undefined | null;
}

/** What the L2 step leaves to the loader: the versions its fill presents, its lease, a stale fallback. */
interface Acquired {
  version?: string;
  lease?: string;
  generation: number;
  tagVersions: number[];
  stale: Candidate | undefined;
  collapsed: boolean;
}

/** Reads whose outcome the miss rate remembers, roughly: the weight of each new one in the average. */
const MISS_RATE_WEIGHT = 1 / 16;

/**
 * A lookup past L1: join a load in flight, read L2, or load — acquire the key's lease or wait for the
 * holder's fill, run the loader (soft and hard timeouts, stale fallback), and fill L2 by compare-and-set
 * against the version read before the loader ran, then L1 if nothing invalidated the key meanwhile.
 */
export class LoadPipeline {
  readonly #waiters = new LeaseWaiters();
  #leaseCounter = 0;
  /**
   * How often a lookup's L2 read found nothing usable lately. Above one half, reads take an empty key's
   * lease as they go (a script: a miss in two round trips); below, they are plain reads, which cost Redis
   * a tenth as much, and a miss takes its lease in a trip of its own. A new cache starts cold: misses.
   */
  #missRate = 1;

  constructor(private readonly d: PipelineDeps) {}

  async fetch<T>(k: string, key: string, loader: Loader<T>, o: EntryOptions, stale: Candidate | undefined) {
    const { local, l2 } = this.d;
    let running = local.flights.get(k);
    // A load that an invalidation overtook may return what it read before the write: not to be joined.
    if (running && !running.invalidated) return this.#join<T>(running);
    let first: L2Lookup | undefined;
    if (l2.present) {
      const epoch = local.epoch;
      first = await this.#lookup(k, o.tags, this.#missRate >= 0.5 ? this.#token() : undefined);
      if (first) this.#missRate += ((first.hit ? 0 : 1) - this.#missRate) * MISS_RATE_WEIGHT;
      if (first?.hit) {
        this.d.telemetry.count("hit_l2", key);
        this.d.l2Hit(k, key, first.hit, loader as Loader<unknown>, o.tags);
        local.fill(k, first.hit, epoch);
        return this.#hit(first.hit, "l2", false) as CacheResult<T>;
      }
      running = local.flights.get(k);
      if (running && !running.invalidated) {
        // A refresh-ahead here may be loading without the lease this read just took: it is not needed.
        if (first?.lease?.outcome === "acquired") l2.release(k, first.lease.token);
        return this.#join<T>(running);
      }
    }
    const job: LoadJob = { k, key, loader: loader as Loader<unknown>, o, stale, refresh: false, first };
    return local.flights.start(k, o.tags, (f) => this.#load(job, f)).result as Promise<CacheResult<T>>;
  }

  /** Refresh-ahead (XFetch): now and then, a hit on a value near expiry reloads it in the background. */
  maybeRefresh(k: string, key: string, e: L1Entry, loader: Loader<unknown>, o: EntryOptions, now: number): void {
    const { local } = this.d;
    if (local.flights.get(k) || !shouldRefreshEarly(e, now, o.refreshAhead, this.d.random())) return;
    const job: LoadJob = { k, key, loader, o, stale: { value: e.value, meta: e }, refresh: true, first: null };
    local.flights.start(k, o.tags, (f) => this.#load(job, f)).result.catch(() => undefined);
  }

  /** The bus says `k` landed in L2: whoever waits on its lease re-reads. */
  wake(k: string): void {
    this.#waiters.wake(k);
  }

  async #join<T>(running: Flight<CacheResult<unknown>>): Promise<CacheResult<T>> {
    this.d.telemetry.stats.collapsed++;
    return { ...((await running.result) as CacheResult<T>), collapsed: true };
  }

  /** The load, and its answer: the load's, or a stale value served early on a soft timeout. */
  #load(job: LoadJob, flight: Flight<CacheResult<unknown>>) {
    // Without a soft timeout nothing answers early: no second promise to race on every miss.
    if (job.o.softTimeout === undefined) {
      const done = this.#loadThrough(job, flight, () => {});
      return { result: done, done };
    }
    let answerEarly: ((r: CacheResult<unknown>) => void) | undefined;
    const early = new Promise<CacheResult<unknown>>((r) => {
      answerEarly = r;
    });
    const done = this.#loadThrough(job, flight, (stale) => answerEarly?.(stale));
    return { result: Promise.race([done, early]), done };
  }

  async #loadThrough(
    job: LoadJob,
    flight: Flight<CacheResult<unknown>>,
    serveStaleEarly: (r: CacheResult<unknown>) => void,
  ): Promise<CacheResult<unknown>> {
    const got = await this.#acquire(job, flight);
    if ("answer" in got) return got.answer;
    const { k, key, o, refresh } = job;
    if (!refresh) this.d.telemetry.count(this.d.l2.present && got.version === undefined ? "bypass" : "miss", key);
    let finished = false;
    let softTimer: NodeJS.Timeout | undefined;
    if (got.stale && o.softTimeout !== undefined) {
      const early = got.stale;
      softTimer = setTimeout(() => {
        if (!finished) serveStaleEarly(this.#stale(early, key));
      }, o.softTimeout);
    }
    try {
      return await this.#runAndFill(job, flight, got);
    } finally {
      finished = true;
      clearTimeout(softTimer);
      if (got.lease) await this.d.l2.release(k, got.lease);
    }
  }

  /**
   * L2 and the lease that makes one process load while the others wait for its fill. The key's version is
   * read with the lease, before the loader runs: the fill presents it back and loses to any invalidation
   * in between. An empty key's lease is taken by the read itself, atomically, so a value that lands in
   * between cannot be loaded twice.
   */
  async #acquire(
    job: LoadJob,
    flight: Flight<CacheResult<unknown>>,
  ): Promise<Acquired | { answer: CacheResult<unknown> }> {
    const { k, key, o, refresh } = job;
    const { l2, now } = this.d;
    const got: Acquired = { generation: 0, tagVersions: o.tags.map(() => 0), stale: job.stale, collapsed: false };
    if (!l2.present) return got;
    const deadline = now() + this.d.leaseMs * 2;
    let read = job.first === null ? await this.#lookup(k, o.tags, this.#token()) : job.first;
    let reread = false;
    for (;;) {
      if (read === undefined) return got;
      if (read.hit && !refresh) {
        this.d.telemetry.count("hit_l2", key);
        this.d.l2Hit(k, key, read.hit, job.loader, o.tags);
        if (!flight.invalidated) this.d.local.fill(k, read.hit);
        return { answer: this.#hit(read.hit, "l2", got.collapsed) };
      }
      if (read.stale && (!got.stale || read.stale.meta.freshUntil > got.stale.meta.freshUntil)) got.stale = read.stale;
      if (refresh && read.hit) got.stale = read.hit;
      got.generation = read.generation;
      got.tagVersions = read.tagVersions;
      if (!read.present && !read.lease && !reread) {
        // A plain read found nothing: read again taking the lease, so a value that landed meanwhile is not loaded twice.
        reread = true;
        read = await this.#lookup(k, o.tags, this.#token());
        continue;
      }
      reread = false;
      // An empty key's lease came with the read; an unusable entry's (stale, outdated) needs its own trip.
      const lease = read.lease ?? (await this.#leaseOf(k));
      got.version = lease?.version;
      if (lease === undefined) return got;
      if (lease.outcome === "acquired") return { ...got, lease: lease.token };
      // A refresh-ahead is optional work: when another process is loading already, leave it to it.
      if (refresh && got.stale) return { answer: this.#hit(got.stale, "l2", false) };
      if (now() >= deadline) return got;
      got.collapsed = true;
      this.d.telemetry.stats.collapsed++;
      await this.#waiters.wait(k, Math.min(this.d.waitPollMs, deadline - now()));
      read = await this.#lookup(k, o.tags, this.#token());
    }
  }

  async #leaseOf(k: string): Promise<L2Lookup["lease"]> {
    const token = this.#token();
    const lease = await this.d.l2.lease(k, token, this.d.leaseMs);
    return lease && { ...lease, token };
  }

  /** A lease token no other load anywhere holds: this cache's random id and a counter. */
  #token(): string {
    return `${this.d.id}:${++this.#leaseCounter}`;
  }

  async #runAndFill(job: LoadJob, flight: Flight<CacheResult<unknown>>, got: Acquired): Promise<CacheResult<unknown>> {
    const { k, key, loader, o } = job;
    const { telemetry, l2, local, now } = this.d;
    const started = now();
    const also: AlsoFilled[] = [];
    let value: unknown;
    try {
      const alsoFill = this.#alsoFillOf(o, also);
      value = await traceLoad(this.d.name, key, job.refresh, () => runLoader(key, loader, o, alsoFill));
    } catch (error) {
      telemetry.stats.load_errors++;
      telemetry.events.emit("load_error", { key, error });
      if (got.stale) return this.#stale(got.stale, key);
      throw error;
    }
    const loadMs = now() - started;
    telemetry.stats.loads++;
    telemetry.events.emit("load", { key, ms: loadMs });
    const collapsed = got.collapsed;
    if ((value === null || value === undefined) && o.negativeTtl <= 0) {
      return { value, status: "miss", collapsed, stored: false, ttlMs: 0 };
    }
    const at = {
      now: now(),
      random: this.d.random(),
      loadMs,
      generation: got.generation,
      tagVersions: got.tagVersions,
    };
    const entry = buildEntry(value, o, at, this.d.serializer);
    let stored = false;
    if (got.version !== undefined) {
      // The fill releases the lease itself (and wakes the waiters), so `finally` has nothing left to do.
      const token = got.lease;
      got.lease = undefined;
      const ttlMs = entry.meta.staleUntil - now();
      stored = await l2.fill(k, got.version, encodeEntry(entry.meta, entry.body), ttlMs, token);
      if (!stored) telemetry.stats.fills_rejected++;
    }
    const landed = stored || !l2.present;
    // L1 takes the value only when nothing invalidated it meanwhile: in L2 (the compare-and-set) or here.
    if (landed && !flight.invalidated && local.trusted) {
      local.fill(k, entry);
      stored = true;
    }
    if (landed && also.length > 0 && !flight.invalidated) this.#fillAlso(also, o, at, flight);
    return { value, status: "miss", collapsed, stored, ttlMs: entry.meta.freshUntil - now() };
  }

  /** The loader's `alsoFill`: it collects, and refuses a load without tags, whose fills nothing could fence. */
  #alsoFillOf(o: EntryOptions, into: AlsoFilled[]): LoadContext["alsoFill"] {
    return (key, value, options) => {
      if (o.tags.length === 0) throw new Error(`alsoFill('${key}') needs a load with tags: they fence its entries`);
      if (value !== null && value !== undefined) into.push({ key, value, ttl: options?.ttl });
    };
  }

  /**
   * What the load read besides its value, cached with the load's tags and the versions read before it
   * began: a tag changed since makes such an entry a miss, wherever it lands. L1 takes them now, unless the
   * load's tags were invalidated here meanwhile; L2 behind the answer, and only where the key holds nothing,
   * so a fresher entry another load stored is never overwritten.
   */
  #fillAlso(also: AlsoFilled[], o: EntryOptions, at: EntryContext, flight: Flight<CacheResult<unknown>>): void {
    const { l2, local, now } = this.d;
    for (const { key, value, ttl } of also) {
      if (flight.invalidated) return;
      const k = normalizeKey(key);
      const entry = buildEntry(value, ttl === undefined ? o : { ...o, ttl }, at, this.d.serializer);
      if (local.trusted) local.fill(k, entry);
      if (l2.present) void l2.put(k, encodeEntry(entry.meta, entry.body), entry.meta.staleUntil - now());
    }
  }

  /**
   * Reads an entry from L2: a fresh hit or a stale candidate, and the versions; undefined if bypassed.
   * With `token`, a key that holds nothing comes back with its lease taken (or refused) and its version.
   */
  async #lookup(k: string, tags: readonly string[], token?: string): Promise<L2Lookup | undefined> {
    const { l2 } = this.d;
    const read = await l2.read(k, tags, token === undefined ? undefined : { token, ttlMs: this.d.leaseMs });
    if (!read) return undefined;
    const present = read.payload !== null;
    const out: L2Lookup = { present, generation: read.generation, tagVersions: read.tagVersions };
    if (read.lease && token !== undefined) out.lease = { ...read.lease, token };
    const decoded = read.payload ? decodeEntry(read.payload) : null;
    if (!decoded) return out;
    const { meta, body } = decoded;
    let current = read.tagVersions;
    // An entry filled under other tags than the caller names is judged by its own tags' versions.
    if (meta.tags.length > 0 && (meta.tags.length !== tags.length || meta.tags.some((t, i) => t !== tags[i]))) {
      const own = await l2.readTagVersions(meta.tags);
      if (!own) return undefined;
      current = own;
    }
    if (!entryCurrent(meta, read.generation, current)) return out;
    const now = this.d.now();
    if (now >= meta.staleUntil) return out;
    const candidate = { meta, value: decodeValue(meta.kind, body, this.d.serializer), body };
    if (now < meta.freshUntil) out.hit = candidate;
    else out.stale = candidate;
    return out;
  }

  #hit(c: Candidate, layer: "l1" | "l2", collapsed: boolean): CacheResult<unknown> {
    const ttlMs = Math.max(0, c.meta.freshUntil - this.d.now());
    return { value: c.value, status: "hit", layer, collapsed, stored: false, ttlMs };
  }

  #stale(c: Candidate, key: string): CacheResult<unknown> {
    this.d.telemetry.count("stale", key);
    return { value: c.value, status: "stale", collapsed: false, stored: false, ttlMs: 0 };
  }
}
