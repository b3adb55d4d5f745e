import { randomBytes } from "node:crypto";
import type { EventEmitter } from "node:events";
import { CacheBus } from "./bus.ts";
import { lookupTraced, noteL1Hit, traceLoad, traceLookup } from "./cache-tracing.ts";
import type { BreakerState } from "./circuit-breaker.ts";
import { ConsistencyAuditor } from "./consistency-audit.ts";
import { type BuiltEntry, buildEntry, encodeEntry } from "./entry.ts";
import { type CacheEvents, type CacheStats, CacheTelemetry } from "./events.ts";
import { normalizeKey } from "./keys.ts";
import { L1Cache } from "./l1-cache.ts";
import type { L2Driver } from "./l2-driver.ts";
import { type L2Tier, nullTier, RemoteL2Tier } from "./l2-tier.ts";
import { LoadPipeline } from "./load-pipeline.ts";
import { type Candidate, LocalTier } from "./local-tier.ts";
import { RemoteTier, type TierEvents } from "./remote-tier.ts";
import { runLoader } from "./run-loader.ts";
import { jsonSerializer, type Serializer } from "./serializer.ts";
import type { CacheOptions, CacheResult, EntryOptions, Invalidation, Loader } from "./types.ts";

export type {
  CacheOptions,
  CacheResult,
  CacheStatus,
  EntryOptions,
  Invalidation,
  LoadContext,
  Loader,
} from "./types.ts";

const DEFAULTS: EntryOptions = { ttl: 60_000, staleWindow: 0, tags: [], negativeTtl: 0, jitter: 0, refreshAhead: 0 };

const DEFAULT_LEASE_MS = 5000;

const resultValue = <T>(r: CacheResult<T>): T => r.value;

const isKeyList = (x: readonly string[] | Invalidation): x is readonly string[] => Array.isArray(x);

/**
 * Cache-Aside over two tiers (L1 in process, L2 shared) with the guarantees of docs/architecture.md ("The cache"):
 * one load per key across processes, no stale fills (a fill is a compare-and-set against the version read
 * before the loader ran), L1 evictions through a bus that is distrusted while it is silent, fail-safe
 * stale values, and a circuit breaker that turns an L2 outage into a bypass. This class wires the parts
 * together: `LocalTier` (L1 and flights), `L2Tier` (the remote tier, or none), `CacheBus` and `LoadPipeline`.
 */
export class Cache {
  readonly name: string;
  readonly stats: CacheStats;
  readonly events: EventEmitter<CacheEvents>;
  readonly #id = randomBytes(8).toString("hex");
  readonly #telemetry = new CacheTelemetry();
  readonly #enabled: boolean;
  readonly #defaults: EntryOptions;
  readonly #serializer: Serializer;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #l2: L2Tier;
  readonly #local: LocalTier;
  readonly #bus: CacheBus;
  readonly #pipeline: LoadPipeline;
  readonly #audit: ConsistencyAuditor | undefined;
  /** A driver of its own that a switched-off cache still has to close. */
  readonly #idleDriver: L2Driver | undefined;
  readonly #onBreaker = (e: TierEvents["breaker"][0]) => this.events.emit("breaker", e);
  readonly #onL2Error = (e: TierEvents["l2_error"][0]) => this.events.emit("l2_error", e);
  #connected: Promise<void> | undefined;

  constructor(opts: CacheOptions) {
    this.name = opts.name;
    this.stats = this.#telemetry.stats;
    this.events = this.#telemetry.events;
    this.#enabled = opts.enabled ?? true;
    this.#defaults = { ...DEFAULTS, ...opts.defaults };
    this.#serializer = opts.serializer ?? jsonSerializer;
    this.#now = opts.now ?? Date.now;
    this.#random = opts.random ?? Math.random;
    this.#l2 = this.#enabled ? this.#tierOf(opts) : nullTier();
    this.#idleDriver = this.#enabled ? undefined : opts.l2;
    const l1Bytes = opts.l1MaxBytes ?? 64 * 1024 * 1024;
    const l1 = l1Bytes > 0 ? new L1Cache({ maxBytes: l1Bytes, now: this.#now }) : undefined;
    this.#local = new LocalTier(l1, () => this.#bus.trusted);
    this.#bus = new CacheBus(this.#l2, this.#local, this.#id, {
      filled: (k) => this.#pipeline.wake(k),
      changed: (up) => this.events.emit("bus", { up }),
      audit: (m) => this.#audit?.onBus(m),
    });
    this.#audit = this.#enabled ? this.#auditorOf(opts) : undefined;
    this.#pipeline = new LoadPipeline({
      id: this.#id,
      name: this.name,
      local: this.#local,
      l2: this.#l2,
      telemetry: this.#telemetry,
      serializer: this.#serializer,
      leaseMs: opts.leaseMs ?? DEFAULT_LEASE_MS,
      waitPollMs: opts.waitPollMs ?? 100,
      now: this.#now,
      random: this.#random,
      l2Hit: (k, key, entry, loader, tags) => this.#sampleHit(k, key, entry.value, loader, tags, "l2", entry.meta),
    });
  }

  #auditorOf(opts: CacheOptions): ConsistencyAuditor {
    const deps = {
      id: this.#id,
      name: this.name,
      local: this.#local,
      l2: this.#l2,
      telemetry: this.#telemetry,
      serializer: this.#serializer,
      now: this.#now,
      breaker: () => this.#l2.breakerState,
      busUp: () => this.#bus.trusted,
    };
    return new ConsistencyAuditor(deps, opts.audit);
  }

  /** A hit, maybe sampled for the read check: one decrement unless it is. */
  #sampleHit(
    k: string,
    key: string,
    value: unknown,
    loader: Loader<unknown>,
    tags: readonly string[],
    layer: "l1" | "l2",
    since: { bornAt?: number; heldSince?: number },
  ): void {
    const audit = this.#audit;
    if (!audit?.sampleHit()) return;
    const born = layer === "l1" ? since.heldSince : since.bornAt;
    const entryAgeMs = born === undefined ? null : this.#now() - born;
    audit.checkRead({ k, key, value, loader, tags, layer, entryAgeMs });
  }

  #tierOf(opts: CacheOptions): L2Tier {
    const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
    if (opts.remote) return new RemoteL2Tier(opts.remote.tier, opts.remote.driver, this.#id, false, leaseMs);
    if (!opts.l2) return nullTier();
    const tier = new RemoteTier(opts.l2.connection, opts);
    return new RemoteL2Tier(tier, opts.l2, this.#id, true, leaseMs);
  }

  /** Starts its own tier (if any) and joins the bus; call once before use when there is an L2. */
  connect(): Promise<void> {
    this.#connected ??= (async () => {
      this.#l2.events.on("breaker", this.#onBreaker);
      this.#l2.events.on("l2_error", this.#onL2Error);
      await this.#l2.start();
      await this.#bus.connect();
    })();
    return this.#connected;
  }

  /** The breaker of the connection under the cache (shared by every cache on it). */
  get breakerState(): BreakerState {
    return this.#l2.breakerState;
  }

  /** Whether L1 is used now: the cache's channel joined, the bus confirmed and the breaker closed. */
  get l1Trusted(): boolean {
    return this.#bus.trusted;
  }

  /** L1's entries and their cost as counted against `l1MaxBytes` (values, keys, tags, overhead). */
  get l1Usage(): { entries: number; bytes: number } | undefined {
    return this.#local.usage;
  }

  /** The value of `key`, from L1, L2 or the loader. */
  getOrLoad<T>(key: string, loader: Loader<T>, options?: Partial<EntryOptions>): Promise<T> {
    // The L1 hit of the plain call: one promise, and no result object, which nobody would read.
    const k = this.#enabled ? normalizeKey(key) : key;
    const e = this.#enabled ? this.#freshInL1(k, key, loader, options) : undefined;
    if (e) return Promise.resolve(e.value as T);
    return this.#pastL1(k, key, loader, options).then(resultValue);
  }

  /** As getOrLoad, with what the lookup did. */
  fetch<T>(key: string, loader: Loader<T>, options?: Partial<EntryOptions>): Promise<CacheResult<T>> {
    const k = this.#enabled ? normalizeKey(key) : key;
    const e = this.#enabled ? this.#freshInL1(k, key, loader, options) : undefined;
    if (!e) return this.#pastL1(k, key, loader, options);
    const ttlMs = e.freshUntil - this.#now();
    return Promise.resolve({ value: e.value as T, status: "hit", layer: "l1", collapsed: false, stored: false, ttlMs });
  }

  /** A lookup past L1, under a span of its own inside a traced operation. */
  #pastL1<T>(k: string, key: string, loader: Loader<T>, options?: Partial<EntryOptions>): Promise<CacheResult<T>> {
    if (!lookupTraced()) return this.#fetch(k, key, loader, options);
    return traceLookup(this.name, key, () => this.#fetch(k, key, loader, options));
  }

  /** The key's L1 entry if fresh, counted as a hit (and refreshed ahead, now and then); else undefined. */
  #freshInL1(k: string, key: string, loader: Loader<unknown>, options: Partial<EntryOptions> | undefined) {
    const e = this.#local.get(k);
    const now = this.#now();
    if (!e || now >= e.freshUntil) return undefined;
    this.#telemetry.count("hit_l1", key);
    noteL1Hit(this.name);
    this.#sampleHit(k, key, e.value, loader, e.tags, "l1", e);
    // An L1 hit reads one option: merging them all would cost an object per hit.
    if ((options?.refreshAhead ?? this.#defaults.refreshAhead) > 0) {
      this.#pipeline.maybeRefresh(k, key, e, loader, this.#options(options), now);
    }
    return e;
  }

  /** A lookup past a fresh L1 entry: L2 and the loader, with L1's stale entry as a fallback if any. */
  #fetch<T>(k: string, key: string, loader: Loader<T>, options?: Partial<EntryOptions>): Promise<CacheResult<T>> {
    const o = this.#options(options);
    if (!this.#enabled) return this.#bypass(key, loader, o);
    const e = this.#local.get(k);
    const stale: Candidate | undefined = e ? { value: e.value, meta: e } : undefined;
    return this.#pipeline.fetch(k, key, loader, o, stale);
  }

  async #bypass<T>(key: string, loader: Loader<T>, o: EntryOptions): Promise<CacheResult<T>> {
    this.#telemetry.count("bypass", key);
    const value = await traceLoad(this.name, key, false, () => runLoader(key, loader, o));
    return { value, status: "bypass", collapsed: false, stored: false, ttlMs: 0 };
  }

  #options(options: Partial<EntryOptions> | undefined): EntryOptions {
    return options ? { ...this.#defaults, ...options } : this.#defaults;
  }

  /** Write-through: stores `value` as the new truth (after the write to the database committed). */
  async set<T>(key: string, value: T, options?: Partial<EntryOptions>): Promise<void> {
    if (!this.#enabled) return;
    const o = this.#options(options);
    const k = normalizeKey(key);
    this.#local.evict([k], []);
    const epoch = this.#local.epoch;
    let entry: BuiltEntry | undefined;
    await this.#l2.set(k, o.tags, (v) => {
      entry = buildEntry(value, o, { now: this.#now(), random: this.#random(), loadMs: 0, ...v }, this.#serializer);
      return { payload: encodeEntry(entry.meta, entry.body), ttlMs: entry.meta.staleUntil - this.#now() };
    });
    if (entry) this.#local.fill(k, entry, epoch);
  }

  /**
   * Drops keys, or keys and tags together, everywhere: L1 here at once, L2, and every other process's L1
   * through the bus. When L2 cannot be reached it rejects with `CacheUnavailableError`, and the whole
   * unit is kept and replayed on recovery: a write's key and tag invalidations never land half.
   */
  async invalidate(what: readonly string[] | Invalidation): Promise<void> {
    if (isKeyList(what)) return this.#invalidate("invalidate", what, []);
    return this.#invalidate("invalidate", what.keys ?? [], what.tags ?? []);
  }

  /** Drops every entry of the tags, in every process. */
  async invalidateTags(tags: readonly string[]): Promise<void> {
    return this.#invalidate("invalidateTags", [], tags);
  }

  async #invalidate(operation: string, keys: readonly string[], tags: readonly string[]) {
    if (!this.#enabled || (keys.length === 0 && tags.length === 0)) return;
    const ks = keys.map(normalizeKey);
    this.#local.evict(ks, tags);
    this.stats.invalidations_key += ks.length;
    this.stats.invalidations_tag += tags.length;
    if (keys.length > 0) this.events.emit("invalidation", { kind: "key", names: [...keys] });
    if (tags.length > 0) this.events.emit("invalidation", { kind: "tag", names: [...tags] });
    const writtenAt = this.#now();
    await this.#l2.invalidate(operation, { keys: ks, tags: [...tags] });
    this.#audit?.invalidated(ks, tags, writtenAt);
  }

  async close(): Promise<void> {
    this.#audit?.close();
    this.#bus.close();
    this.#local.close();
    this.#l2.events.off("breaker", this.#onBreaker);
    this.#l2.events.off("l2_error", this.#onL2Error);
    await this.#l2.close();
    await this.#idleDriver?.close();
  }
}
