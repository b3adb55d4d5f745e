import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { CircuitBreaker } from "./circuit-breaker.ts";
import {
  decodeEntry,
  type EntryMeta,
  encodeEntry,
  jitteredTtl,
  KIND_BINARY,
  KIND_NOT_FOUND,
  KIND_SERIALIZED,
  shouldRefreshEarly,
} from "./entry.ts";
import { BypassedError, CacheUnavailableError, LoaderTimeoutError } from "./errors.ts";
import { type CacheEvents, type CacheStats, newStats, type RequestResult } from "./events.ts";
import { normalizeKey } from "./keys.ts";
import { L1Cache, type L1Entry } from "./l1-cache.ts";
import type { BusMessage, L2Driver } from "./l2-driver.ts";
import { jsonSerializer, type Serializer } from "./serializer.ts";
import { type Flight, SingleFlight } from "./single-flight.ts";

export interface EntryOptions {
  /** How long a value is fresh, in ms. */
  ttl: number;
  /** After the TTL, how long the old value may still be served when a reload fails or is slow (fail-safe). */
  staleWindow: number;
  /** Tags the entry belongs to; `invalidateTags` drops every entry of a tag. */
  tags: readonly string[];
  /** A loader result of null or undefined means "not found"; it is cached this long (0: not cached). */
  negativeTtl: number;
  /** Random ± fraction applied to the TTL so that entries filled together expire apart. */
  jitter: number;
  /** With a stale value at hand, answer with it after this many ms and let the load finish behind. */
  softTimeout?: number;
  /** Give up on the loader after this many ms (its signal is aborted); stale if any, else an error. */
  hardTimeout?: number;
  /** Refresh-ahead: XFetch's beta (1 is the usual choice); 0 turns it off. */
  refreshAhead: number;
}

export interface CacheOptions {
  /** Names the cache in metrics and events, and is the default key prefix. */
  name: string;
  prefix?: string;
  /** The shared tier; without one the cache is L1 only. */
  l2?: L2Driver;
  /** L1 budget in bytes; 0 turns L1 off. */
  l1MaxBytes?: number;
  /** `false` is CACHE=off: every call runs its loader and is counted as a bypass. */
  enabled?: boolean;
  defaults?: Partial<EntryOptions>;
  serializer?: Serializer;
  /** Cross-process lease on a missing key, so one process loads while the others wait. */
  leaseMs?: number;
  /** A waiter re-reads L2 when woken by the bus, or after this long at the latest. */
  waitPollMs?: number;
  breaker?: { failureThreshold: number; openMs: number };
  /** Invalidations kept while L2 is down, replayed on recovery; beyond this, L2 is flushed instead. */
  maxPendingInvalidations?: number;
  now?: () => number;
  random?: () => number;
}

export type CacheStatus = "hit" | "miss" | "stale" | "bypass";

/** What a lookup did, for RFC 9211 Cache-Status headers and tests. */
export interface CacheResult<T> {
  value: T;
  status: CacheStatus;
  /** Which tier answered a hit. */
  layer?: "l1" | "l2";
  /** Waited on another request's load (in this process or, through the lease, in another). */
  collapsed: boolean;
  /** Whether a miss's value was stored. */
  stored: boolean;
  /** Fresh time left, in ms (0 for stale and bypass). */
  ttlMs: number;
}

export type Loader<T> = (ctx: { key: string; signal: AbortSignal }) => Promise<T>;

const DEFAULTS: EntryOptions = { ttl: 60_000, staleWindow: 0, tags: [], negativeTtl: 0, jitter: 0, refreshAhead: 0 };

/** Loaders without a hard timeout are never aborted; one shared signal spares an allocation per load. */
const NEVER_ABORTED = new AbortController().signal;

interface Candidate {
  value: unknown;
  meta: EntryMeta;
}

/** One load through the tiers: a miss (`refresh` false) or a refresh-ahead of a value still fresh. */
interface LoadJob {
  /** The normalized key, and the caller's (for events and the loader). */
  k: string;
  key: string;
  loader: Loader<unknown>;
  o: EntryOptions;
  /** A value that may be served if the load fails or is slow. */
  stale: Candidate | undefined;
  refresh: boolean;
  /** What the caller already read from L2 (undefined: L2 bypassed), or null when nothing was read yet. */
  first: L2Lookup | undefined | null;
}

interface L2Lookup {
  hit?: Candidate & { body: Buffer };
  stale?: Candidate;
  /** Whether L2 held an entry at all (fresh, stale, or of an older tag version). */
  present: boolean;
  tagVersions: number[];
}

/**
 * Cache-Aside over two tiers (L1 in process, L2 shared) with the guarantees of DESIGN.md section 3:
 * one load per key across processes, no stale fills (a fill is a compare-and-set against the version read
 * before the loader ran), L1 evictions through a bus that is distrusted while it is down, fail-safe stale
 * values, and a circuit breaker that turns an L2 outage into a bypass.
 */
export class Cache {
  readonly name: string;
  readonly stats: CacheStats = newStats();
  readonly events = new EventEmitter<CacheEvents>();
  readonly #id = randomBytes(8).toString("hex");
  readonly #l2: L2Driver | undefined;
  readonly #l1: L1Cache | undefined;
  readonly #enabled: boolean;
  readonly #defaults: EntryOptions;
  readonly #serializer: Serializer;
  readonly #leaseMs: number;
  readonly #waitPollMs: number;
  readonly #breaker: CircuitBreaker;
  readonly #maxPending: number;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #flights = new SingleFlight<CacheResult<unknown>>();
  readonly #leaseWaiters = new Map<string, Set<() => void>>();
  #l1Trusted: boolean;
  /** Counts every invalidation this process learns of; an L1 fill after an L2 read needs it unchanged. */
  #epoch = 0;
  #leaseCounter = 0;
  #pendingKeys = new Set<string>();
  #pendingTags = new Set<string>();
  #pendingFlush = false;
  #replaying: Promise<void> | undefined;
  #recoveryTimer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #recoveryMs: number;

  constructor(opts: CacheOptions) {
    this.name = opts.name;
    this.#l2 = opts.l2;
    const l1Bytes = opts.l1MaxBytes ?? 64 * 1024 * 1024;
    this.#l1 = l1Bytes > 0 ? new L1Cache(l1Bytes) : undefined;
    this.#enabled = opts.enabled ?? true;
    this.#defaults = { ...DEFAULTS, ...opts.defaults };
    this.#serializer = opts.serializer ?? jsonSerializer;
    this.#leaseMs = opts.leaseMs ?? 5000;
    this.#waitPollMs = opts.waitPollMs ?? 100;
    this.#maxPending = opts.maxPendingInvalidations ?? 10_000;
    this.#now = opts.now ?? Date.now;
    this.#random = opts.random ?? Math.random;
    this.#recoveryMs = opts.breaker?.openMs ?? 1000;
    this.#breaker = new CircuitBreaker({
      failureThreshold: opts.breaker?.failureThreshold ?? 3,
      openMs: this.#recoveryMs,
      now: this.#now,
      onStateChange: (state) => this.events.emit("breaker", { state }),
    });
    // With an L2, L1 is trusted only while the bus that carries evictions is up.
    this.#l1Trusted = !this.#l2;
  }

  /** Subscribes to the bus; call once before use when there is an L2. */
  async connect(): Promise<void> {
    if (!this.#l2) return;
    await this.#l2.subscribe(
      (m) => this.#onBusMessage(m),
      (up) => this.#onBusState(up),
    );
  }

  get breakerState() {
    return this.#breaker.state;
  }

  get l1Trusted() {
    return this.#l1Trusted;
  }

  /** The value of `key`, from L1, L2 or the loader. */
  async getOrLoad<T>(key: string, loader: Loader<T>, options?: Partial<EntryOptions>): Promise<T> {
    return (await this.fetch(key, loader, options)).value;
  }

  /** As getOrLoad, with what the lookup did. */
  async fetch<T>(key: string, loader: Loader<T>, options?: Partial<EntryOptions>): Promise<CacheResult<T>> {
    const o = options ? { ...this.#defaults, ...options } : this.#defaults;
    if (!this.#enabled) {
      this.#count("bypass", key);
      const value = await this.#runLoader(key, loader, o);
      return { value, status: "bypass", collapsed: false, stored: false, ttlMs: 0 };
    }
    const k = normalizeKey(key);
    const now = this.#now();
    let stale: Candidate | undefined;
    if (this.#l1 && this.#l1Trusted) {
      const e = this.#l1.get(k);
      if (e) {
        if (now < e.freshUntil) {
          this.#count("hit_l1", key);
          if (o.refreshAhead > 0) this.#maybeRefresh(k, key, e, loader, o, now);
          return {
            value: e.value as T,
            status: "hit",
            layer: "l1",
            collapsed: false,
            stored: false,
            ttlMs: e.freshUntil - now,
          };
        }
        if (now < e.staleUntil) stale = { value: e.value, meta: e };
        else this.#l1.delete(k);
      }
    }
    let running = this.#flights.get(k);
    // A load that an invalidation overtook may return what it read before the write: not to be joined.
    if (running && !running.invalidated) return this.#join<T>(running);
    let first: L2Lookup | undefined;
    if (this.#l2) {
      // The hit path reads the entry alone; the version a fill needs is read only on a miss.
      const epoch = this.#epoch;
      first = await this.#readL2(k, o.tags);
      if (first?.hit) {
        this.#count("hit_l2", key);
        if (epoch === this.#epoch && this.#l1Trusted) this.#l1Fill(k, first.hit);
        return this.#hit(first.hit, "l2", false) as CacheResult<T>;
      }
      running = this.#flights.get(k);
      if (running && !running.invalidated) return this.#join<T>(running);
    }
    const flight = this.#flights.start(k, o.tags, (f) =>
      this.#load({ k, key, loader: loader as Loader<unknown>, o, stale, refresh: false, first }, f),
    );
    return flight.result as Promise<CacheResult<T>>;
  }

  async #join<T>(running: Flight<CacheResult<unknown>>): Promise<CacheResult<T>> {
    this.stats.collapsed++;
    return { ...((await running.result) as CacheResult<T>), collapsed: true };
  }

  /** Write-through: stores `value` as the new truth (after the write to the database committed). */
  async set<T>(key: string, value: T, options?: Partial<EntryOptions>): Promise<void> {
    if (!this.#enabled) return;
    const o = options ? { ...this.#defaults, ...options } : this.#defaults;
    const k = normalizeKey(key);
    this.#epoch++;
    this.#flights.invalidateKey(k);
    this.#l1?.delete(k);
    if (!this.#l2) {
      this.#l1Fill(k, this.#entry(value, o, 0, []));
      return;
    }
    try {
      const tagVersions = await this.#call("set", () => (this.#l2 as L2Driver).readTagVersions(o.tags));
      const { meta, body } = this.#entry(value, o, 0, tagVersions);
      const payload = encodeEntry(meta, body);
      await this.#call("set", () => (this.#l2 as L2Driver).set(k, payload, meta.staleUntil - this.#now()));
      if (this.#l1Trusted) this.#l1Fill(k, { meta, body, value });
      await this.#publish({ from: this.#id, keys: [k] });
    } catch (err) {
      this.#remember([k], []);
      throw new CacheUnavailableError("set", err);
    }
  }

  /** Drops keys everywhere: L1 here at once, L2, and L1 of every other process through the bus. */
  async invalidate(keys: readonly string[]): Promise<void> {
    if (!this.#enabled || keys.length === 0) return;
    const ks = keys.map(normalizeKey);
    this.#evictLocally(ks, []);
    this.stats.invalidations_key += ks.length;
    this.events.emit("invalidation", { kind: "key", names: [...keys] });
    await this.#invalidateShared("invalidate", ks, []);
  }

  /** Drops every entry of the tags, in every process. */
  async invalidateTags(tags: readonly string[]): Promise<void> {
    if (!this.#enabled || tags.length === 0) return;
    this.#evictLocally([], tags);
    this.stats.invalidations_tag += tags.length;
    this.events.emit("invalidation", { kind: "tag", names: [...tags] });
    await this.#invalidateShared("invalidateTags", [], [...tags]);
  }

  /** This process's part of an invalidation: L1 entries, and loads in flight that must not fill. */
  #evictLocally(keys: readonly string[], tags: readonly string[]) {
    this.#epoch++;
    for (const k of keys) {
      this.#flights.invalidateKey(k);
      this.#l1?.delete(k);
    }
    for (const t of tags) {
      this.#flights.invalidateTag(t);
      this.#l1?.deleteTag(t);
    }
  }

  /** L2 and the other processes' L1; what cannot reach Redis is kept and replayed on recovery. */
  async #invalidateShared(operation: string, keys: string[], tags: string[]) {
    const l2 = this.#l2;
    if (!l2) return;
    try {
      await this.#call(operation, async () => {
        if (keys.length > 0) await l2.invalidate(keys);
        if (tags.length > 0) await l2.bumpTags(tags);
      });
      await this.#publish({ from: this.#id, keys, tags });
    } catch (err) {
      this.#remember(keys, tags);
      throw new CacheUnavailableError(operation, err);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#recoveryTimer);
    await this.#l2?.close();
  }

  // ---- the load path -------------------------------------------------------------------------------

  #load(
    job: LoadJob,
    flight: Flight<CacheResult<unknown>>,
  ): { result: Promise<CacheResult<unknown>>; done: Promise<unknown> } {
    let answerEarly: ((r: CacheResult<unknown>) => void) | undefined;
    const early = new Promise<CacheResult<unknown>>((r) => {
      answerEarly = r;
    });
    const done = this.#loadThrough(job, flight, (stale) => {
      answerEarly?.(stale);
    });
    return { result: Promise.race([done, early]), done };
  }

  async #loadThrough(
    job: LoadJob,
    flight: Flight<CacheResult<unknown>>,
    serveStaleEarly: (r: CacheResult<unknown>) => void,
  ): Promise<CacheResult<unknown>> {
    const { k, key, loader, o, refresh, first } = job;
    let stale = job.stale;
    let version: string | undefined;
    let tagVersions: number[] = o.tags.map(() => 0);
    let lease: string | undefined;
    let collapsed = false;

    // L2, and the lease that makes one process load while the others wait for its fill.
    if (this.#l2) {
      const l2 = this.#l2;
      const deadline = this.#now() + this.#leaseMs * 2;
      let read = first === null ? await this.#readL2(k, o.tags) : first;
      for (;;) {
        if (read === undefined) break;
        if (read.hit && !refresh) {
          this.#count("hit_l2", key);
          if (!flight.invalidated && this.#l1Trusted) this.#l1Fill(k, read.hit);
          return this.#hit(read.hit, "l2", collapsed);
        }
        if (read.stale && (!stale || read.stale.meta.freshUntil > stale.meta.freshUntil)) stale = read.stale;
        if (refresh && read.hit) stale = read.hit;
        tagVersions = read.tagVersions;
        const token = `${this.#id}:${++this.#leaseCounter}`;
        // The version is read before the loader runs: a fill presents it back, and loses to any
        // invalidation in between.
        // With nothing in L2 at the read, a value that lands before the lease is taken is read, not reloaded.
        const unlessFilled = !read.present && !refresh;
        const got = await this.#call("lease", () =>
          Promise.all([l2.readVersion(k), l2.acquireLease(k, token, this.#leaseMs, unlessFilled)]),
        ).catch(() => undefined);
        if (got === undefined) {
          version = undefined;
          break;
        }
        version = got[0];
        if (got[1] === "acquired") {
          lease = token;
          break;
        }
        if (got[1] === "filled" && this.#now() < deadline) {
          read = await this.#readL2(k, o.tags);
          continue;
        }
        // A refresh-ahead is optional work: when another process is loading already, leave it to it.
        if (refresh && stale) return this.#hit(stale, "l2", false);
        if (this.#now() >= deadline) break;
        collapsed = true;
        this.stats.collapsed++;
        await this.#waitForFill(k, Math.min(this.#waitPollMs, deadline - this.#now()));
        read = await this.#readL2(k, o.tags);
      }
    }

    if (!refresh) this.#count(this.#l2 && version === undefined ? "bypass" : "miss", key);
    let finished = false;
    let softTimer: NodeJS.Timeout | undefined;
    if (stale && o.softTimeout !== undefined) {
      const early = stale;
      softTimer = setTimeout(() => {
        if (!finished) serveStaleEarly(this.#stale(early, key));
      }, o.softTimeout);
    }

    try {
      const started = this.#now();
      let value: unknown;
      try {
        value = await this.#runLoader(key, loader, o);
      } catch (error) {
        this.stats.load_errors++;
        this.events.emit("load_error", { key, error });
        if (stale) return this.#stale(stale, key);
        throw error;
      }
      const loadMs = this.#now() - started;
      this.stats.loads++;
      this.events.emit("load", { key, ms: loadMs });
      const notFound = value === null || value === undefined;
      if (notFound && o.negativeTtl <= 0) return { value, status: "miss", collapsed, stored: false, ttlMs: 0 };

      const entry = this.#entry(value, o, loadMs, tagVersions);
      let stored = false;
      if (version !== undefined) {
        const payload = encodeEntry(entry.meta, entry.body);
        const token = lease;
        // The fill releases the lease itself (and wakes the waiters), so `finally` has nothing left to do.
        lease = undefined;
        stored =
          (await this.#call("fill", () =>
            (this.#l2 as L2Driver).fill(
              k,
              version as string,
              payload,
              entry.meta.staleUntil - this.#now(),
              token,
              this.#id,
            ),
          ).catch(() => false)) === true;
        if (!stored) this.stats.fills_rejected++;
      }
      // L1 takes the value only when nothing invalidated it meanwhile: in L2 (the compare-and-set) or here.
      if ((stored || !this.#l2) && !flight.invalidated && this.#l1Trusted) {
        this.#l1Fill(k, entry);
        stored = true;
      }
      return { value, status: "miss", collapsed, stored, ttlMs: entry.meta.freshUntil - this.#now() };
    } finally {
      finished = true;
      clearTimeout(softTimer);
      if (lease) {
        const token = lease;
        await this.#call("release", () => (this.#l2 as L2Driver).releaseLease(k, token)).catch(() => undefined);
        await this.#publish({ from: this.#id, filled: k }).catch(() => undefined);
      }
    }
  }

  /** Reads an entry from L2: a fresh hit or a stale candidate, and the tags' versions; undefined if bypassed. */
  async #readL2(k: string, tags: readonly string[]): Promise<L2Lookup | undefined> {
    const l2 = this.#l2 as L2Driver;
    let read: Awaited<ReturnType<L2Driver["read"]>>;
    try {
      read = await this.#call("read", () => l2.read(k, tags));
    } catch {
      return undefined;
    }
    const out: L2Lookup = { present: read.payload !== null, tagVersions: read.tagVersions };
    const decoded = read.payload ? decodeEntry(read.payload) : null;
    if (!decoded) return out;
    const { meta, body } = decoded;
    if (meta.tags.length > 0) {
      let current: number[] = read.tagVersions;
      if (meta.tags.length !== tags.length || meta.tags.some((t, i) => t !== tags[i])) {
        const own = await this.#call("read", () => l2.readTagVersions(meta.tags)).catch(() => undefined);
        if (!own) return undefined;
        current = own;
      }
      if (!meta.tags.every((_, i) => current[i] === meta.tagVersions[i])) return out;
    }
    const now = this.#now();
    if (now >= meta.staleUntil) return out;
    const candidate = { meta, value: this.#decodeValue(meta.kind, body), body };
    if (now < meta.freshUntil) out.hit = candidate;
    else out.stale = candidate;
    return out;
  }

  #waitForFill(k: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let waiters = this.#leaseWaiters.get(k);
      if (!waiters) {
        waiters = new Set();
        this.#leaseWaiters.set(k, waiters);
      }
      const wake = () => {
        clearTimeout(timer);
        waiters.delete(wake);
        if (waiters.size === 0 && this.#leaseWaiters.get(k) === waiters) this.#leaseWaiters.delete(k);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(1, ms));
      waiters.add(wake);
    });
  }

  #maybeRefresh(k: string, key: string, e: L1Entry, loader: Loader<unknown>, o: EntryOptions, now: number) {
    if (this.#flights.get(k) || !shouldRefreshEarly(e, now, o.refreshAhead, this.#random())) return;
    const flight = this.#flights.start(k, o.tags, (f) =>
      this.#load({ k, key, loader, o, stale: { value: e.value, meta: e }, refresh: true, first: null }, f),
    );
    flight.result.catch(() => undefined);
  }

  async #runLoader<T>(key: string, loader: Loader<T>, o: EntryOptions): Promise<T> {
    if (o.hardTimeout === undefined) return loader({ key, signal: NEVER_ABORTED });
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new LoaderTimeoutError(key, o.hardTimeout as number));
      }, o.hardTimeout);
    });
    try {
      return await Promise.race([loader({ key, signal: controller.signal }), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  // ---- entries ---------------------------------------------------------------------------------------

  #entry(value: unknown, o: EntryOptions, loadMs: number, tagVersions: number[]) {
    const now = this.#now();
    const notFound = value === null || value === undefined;
    const ttl = notFound ? o.negativeTtl : jitteredTtl(o.ttl, o.jitter, this.#random());
    const kind = notFound ? KIND_NOT_FOUND : Buffer.isBuffer(value) ? KIND_BINARY : KIND_SERIALIZED;
    const body =
      kind === KIND_NOT_FOUND
        ? Buffer.alloc(0)
        : kind === KIND_BINARY
          ? (value as Buffer)
          : this.#serializer.serialize(value);
    const meta: EntryMeta = {
      kind,
      freshUntil: now + ttl,
      staleUntil: now + ttl + (notFound ? 0 : o.staleWindow),
      loadMs,
      tags: [...o.tags],
      tagVersions,
    };
    return { meta, body, value: notFound ? null : value };
  }

  #decodeValue(kind: number, body: Buffer): unknown {
    if (kind === KIND_NOT_FOUND) return null;
    if (kind === KIND_BINARY) return Buffer.from(body);
    return this.#serializer.deserialize(body);
  }

  #l1Fill(k: string, e: { meta: EntryMeta; body: Buffer; value: unknown }) {
    this.#l1?.set(k, { ...e.meta, value: e.value, size: e.body.length });
  }

  #hit(c: Candidate, layer: "l1" | "l2", collapsed: boolean): CacheResult<unknown> {
    return {
      value: c.value,
      status: "hit",
      layer,
      collapsed,
      stored: false,
      ttlMs: Math.max(0, c.meta.freshUntil - this.#now()),
    };
  }

  #stale(c: Candidate, key: string): CacheResult<unknown> {
    this.#count("stale", key);
    return { value: c.value, status: "stale", collapsed: false, stored: false, ttlMs: 0 };
  }

  #count(result: RequestResult, key: string) {
    this.stats[result]++;
    if (this.events.listenerCount("request") > 0) this.events.emit("request", { key, result });
  }

  // ---- L2 calls, the breaker and recovery ----------------------------------------------------------

  async #call<T>(operation: string, op: () => Promise<T>): Promise<T> {
    if (!this.#breaker.allow()) throw new BypassedError();
    try {
      if (this.#hasPending()) await this.#replayPending();
      const result = await op();
      this.#breaker.success();
      return result;
    } catch (error) {
      if (!(error instanceof BypassedError)) {
        this.#breaker.failure();
        this.events.emit("l2_error", { operation, error });
      }
      throw error;
    }
  }

  /** What could not be invalidated in L2 is kept, and replayed before L2 is used again. */
  #remember(keys: readonly string[], tags: readonly string[]) {
    for (const k of keys) this.#pendingKeys.add(k);
    for (const t of tags) this.#pendingTags.add(t);
    if (this.#pendingKeys.size + this.#pendingTags.size > this.#maxPending) {
      this.#pendingFlush = true;
      this.#pendingKeys.clear();
      this.#pendingTags.clear();
    }
    this.#scheduleRecovery();
  }

  /** Replays kept invalidations as soon as L2 answers again, even if no request comes to trigger it. */
  #scheduleRecovery() {
    if (this.#recoveryTimer || this.#closed) return;
    this.#recoveryTimer = setTimeout(() => {
      this.#recoveryTimer = undefined;
      if (!this.#hasPending()) return;
      this.#call("recover", async () => undefined).catch(() => this.#scheduleRecovery());
    }, this.#recoveryMs);
    this.#recoveryTimer.unref();
  }

  #hasPending() {
    return this.#pendingKeys.size > 0 || this.#pendingTags.size > 0 || this.#pendingFlush;
  }

  #replayPending(): Promise<void> {
    this.#replaying ??= (async () => {
      const l2 = this.#l2 as L2Driver;
      const keys = [...this.#pendingKeys];
      const tags = [...this.#pendingTags];
      const flush = this.#pendingFlush;
      if (flush) await l2.flush();
      if (keys.length) await l2.invalidate(keys);
      if (tags.length) await l2.bumpTags(tags);
      await l2.publish(flush ? { from: this.#id, all: true } : { from: this.#id, keys, tags });
      for (const k of keys) this.#pendingKeys.delete(k);
      for (const t of tags) this.#pendingTags.delete(t);
      if (flush) this.#pendingFlush = false;
    })().finally(() => {
      this.#replaying = undefined;
    });
    return this.#replaying;
  }

  async #publish(m: BusMessage) {
    await (this.#l2 as L2Driver).publish(m);
  }

  // ---- the bus ---------------------------------------------------------------------------------------

  #onBusMessage(m: BusMessage) {
    if (m.filled) {
      const waiters = this.#leaseWaiters.get(m.filled);
      if (waiters) for (const wake of [...waiters]) wake();
    }
    if (m.from === this.#id) return;
    if (m.all) {
      this.#l1?.clear();
      this.#flights.invalidateAll();
    }
    if (m.all || m.keys?.length || m.tags?.length) this.#evictLocally(m.keys ?? [], m.tags ?? []);
  }

  /** Evictions may have been missed while the bus was down: L1 is emptied and unused until it is back. */
  #onBusState(up: boolean) {
    this.#epoch++;
    this.#l1?.clear();
    this.#flights.invalidateAll();
    this.#l1Trusted = up;
    this.events.emit("bus", { up });
  }
}
