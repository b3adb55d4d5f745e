import type { AuditOptions } from "./audit-core.ts";
import type { L2Driver } from "./l2-driver.ts";
import type { RemoteTier, RemoteTierOptions } from "./remote-tier.ts";
import type { Serializer } from "./serializer.ts";

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

export interface CacheOptions extends RemoteTierOptions {
  /** Names the cache in metrics and events, and is the default key prefix. */
  name: string;
  prefix?: string;
  /**
   * The shared tier, for a cache with connections of its own (`createRedisL2`, `createMemoryL2`): the cache
   * runs its own breaker, heartbeat and journal on them (the `RemoteTierOptions`). Caches that share
   * connections come from `CacheBackend.createCache`, which shares those too.
   */
  l2?: L2Driver;
  /** The cache's key space on a shared tier (what `CacheBackend.createCache` passes); wins over `l2`. */
  remote?: { tier: RemoteTier; driver: L2Driver };
  /** L1 budget in bytes, as `l1EntrySize` counts them; 0 turns L1 off. */
  l1MaxBytes?: number;
  /** `false` is CACHE=off: every call runs its loader and is counted as a bypass. */
  enabled?: boolean;
  defaults?: Partial<EntryOptions>;
  serializer?: Serializer;
  /** Cross-process lease on a missing key, so one process loads while the others wait. */
  leaseMs?: number;
  /** A waiter re-reads L2 when woken by the bus, or after this long at the latest. */
  waitPollMs?: number;
  /** Entries' clock (fresh/stale times), the breaker's and L1's; `Date.now` by default. */
  now?: () => number;
  random?: () => number;
  /** The consistency auditor's rates and bounds (docs/consistency.md); on by default, `false` stops its sampling. */
  audit?: AuditOptions | false;
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

export type Loader<T> = (ctx: LoadContext) => Promise<T>;

export interface LoadContext {
  key: string;
  signal: AbortSignal;
  /**
   * Caches another key's value that this load read on its way (a list page's rows are product pages),
   * with the load's own tags, stamped with the versions read before the load began: a change of any of
   * those tags after that makes the entry a miss. So call it only for keys whose every invalidation also
   * invalidates one of the load's tags. Stored with the load's own fill, if that fill is stored.
   */
  alsoFill(key: string, value: unknown, options?: { ttl?: number }): void;
}

/** What `invalidate` drops: keys, tags, or both as one unit (kept and replayed together when L2 is down). */
export interface Invalidation {
  keys?: readonly string[];
  tags?: readonly string[];
}
