import { EventEmitter } from "node:events";
import type { BreakerState } from "./circuit-breaker.ts";
import { BypassedError } from "./errors.ts";
import type { InvalidationUnit } from "./journal.ts";
import type { BusMessage, L2Driver, L2Read, LeaseGrant, LeaseRequest } from "./l2-driver.ts";
import type { RemoteTier, TierEvents } from "./remote-tier.ts";

/** The versions a write-through entry is made under. */
export interface Versions {
  generation: number;
  tagVersions: number[];
}

/**
 * One cache's second tier: its key space on a shared remote tier, or nothing at all (the null tier).
 * Reads answer `undefined` when L2 was bypassed (breaker open, an error): the caller goes to the loader.
 */
export interface L2Tier {
  /** False for the null tier: L1 is the only tier, and a load's value goes to L1 unchecked. */
  readonly present: boolean;
  /** Whether the shared tier lets L1 be served: bus confirmed and breaker closed. */
  readonly l1Allowed: boolean;
  readonly breakerState: BreakerState;
  /** The shared tier's breaker, bus and error events. */
  readonly events: EventEmitter<TierEvents>;
  /** Starts the tier if the cache owns it; a shared one is started by its backend. */
  start(): Promise<void>;
  /** The entry and versions; with `lease`, an empty key's lease too (`L2Driver.read`). */
  read(k: string, tags: readonly string[], lease?: LeaseRequest): Promise<L2Read | undefined>;
  readTagVersions(tags: readonly string[]): Promise<number[] | undefined>;
  /** The key's version, the generation and the tags' versions; undefined when L2 was bypassed. */
  readAllVersions(k: string, tags: readonly string[]): Promise<string | undefined>;
  /** Publishes on the key space's bus (the auditor's probes and answers); never fails. */
  publish(m: BusMessage): Promise<void>;
  /** The key's version (for the fill's compare-and-set) and the lease, in one round trip. */
  lease(k: string, token: string, ttlMs: number): Promise<LeaseGrant | undefined>;
  /** Stores if the version still matches; with a token, releases the lease and wakes its waiters. */
  fill(k: string, version: string, payload: Buffer, ttlMs: number, token: string | undefined): Promise<boolean>;
  /** Stores an entry that its tags' versions fence (`LoadContext.alsoFill`) unless the key holds one; never fails. */
  put(k: string, payload: Buffer, ttlMs: number): Promise<void>;
  /** Releases a lease whose load stored nothing, and wakes its waiters; never fails. */
  release(k: string, token: string): Promise<void>;
  /** Write-through: `build` makes the entry under the versions read; kept for replay when L2 is down. */
  set(k: string, tags: readonly string[], build: (v: Versions) => { payload: Buffer; ttlMs: number }): Promise<void>;
  /** Keys and tags together, journalled together when L2 cannot be reached (then it throws). */
  invalidate(operation: string, unit: InvalidationUnit): Promise<void>;
  subscribe(onMessage: (m: BusMessage) => void, onState: (up: boolean) => void): Promise<() => void>;
  close(): Promise<void>;
}

/**
 * A lease whose answer never came (a read's or a lease's) may still be taken: sent into a frozen Redis, it runs when Redis thaws,
 * even from a connection dropped meanwhile, and nobody would fill or release it (the key's readers would
 * wait out its TTL). Its token-matched release is sent outside the breaker, and again every 50 ms until
 * one lands on a working connection or the lease would have expired anyway.
 */
function releaseGhost(driver: L2Driver, k: string, token: string, ttlMs: number): void {
  const until = Date.now() + ttlMs;
  const attempt = () => {
    driver.releaseLease(k, token).catch(() => {
      if (Date.now() < until) setTimeout(attempt, 50).unref();
    });
  };
  attempt();
}

/** A cache's key space on a remote tier; with `ownsTier`, the cache starts and closes the tier. */
export class RemoteL2Tier implements L2Tier {
  readonly present = true;

  constructor(
    private readonly tier: RemoteTier,
    private readonly driver: L2Driver,
    private readonly from: string,
    private readonly ownsTier: boolean,
    /** How long a lease lives: a failed release is retried until then (`releaseGhost`). */
    private readonly leaseMs: number,
  ) {}

  get l1Allowed() {
    return this.tier.l1Allowed;
  }
  get breakerState() {
    return this.tier.breakerState;
  }
  get events() {
    return this.tier.events;
  }

  async start() {
    if (this.ownsTier) await this.tier.start();
  }

  read(k: string, tags: readonly string[], lease?: LeaseRequest) {
    const d = this.driver;
    return this.tier.attempt(
      "read",
      () => d.read(k, tags, lease),
      (err) => {
        if (lease && !(err instanceof BypassedError)) releaseGhost(d, k, lease.token, lease.ttlMs);
        return undefined;
      },
    );
  }

  async readTagVersions(tags: readonly string[]) {
    const v = await this.tier.call("read", () => this.driver.readVersions(tags)).catch(() => undefined);
    return v?.tagVersions;
  }

  async readAllVersions(k: string, tags: readonly string[]) {
    const d = this.driver;
    const both = () => Promise.all([d.readKeyVersion(k), d.readVersions(tags)]);
    const v = await this.tier.call("read", both).catch(() => undefined);
    return v && JSON.stringify([v[0], v[1].generation, v[1].tagVersions]);
  }

  async publish(m: BusMessage) {
    await this.tier.call("publish", () => this.driver.publish(m)).catch(() => undefined);
  }

  lease(k: string, token: string, ttlMs: number) {
    const d = this.driver;
    return this.tier
      .call("lease", () => d.acquireLease(k, token, ttlMs))
      .catch((err) => {
        if (!(err instanceof BypassedError)) releaseGhost(d, k, token, ttlMs);
        return undefined;
      });
  }

  async fill(k: string, version: string, payload: Buffer, ttlMs: number, token: string | undefined) {
    const fill = () => this.driver.fill(k, version, payload, ttlMs, token, this.from);
    const stored = await this.tier.call("fill", fill).catch(() => {
      // Refused or unanswered, the fill may not have released its lease: the key's readers would wait it out.
      if (token) releaseGhost(this.driver, k, token, this.leaseMs);
      return false;
    });
    return stored === true;
  }

  async put(k: string, payload: Buffer, ttlMs: number) {
    await this.tier.call("fill", () => this.driver.put(k, payload, ttlMs)).catch(() => undefined);
  }

  async release(k: string, token: string) {
    await this.tier
      .call("release", () => this.driver.releaseLease(k, token, this.from))
      .catch(() => releaseGhost(this.driver, k, token, this.leaseMs));
  }

  set(k: string, tags: readonly string[], build: (v: Versions) => { payload: Buffer; ttlMs: number }) {
    return this.tier.invalidating("set", this.driver, { keys: [k], tags: [] }, async () => {
      const { payload, ttlMs } = build(await this.driver.readVersions(tags));
      await this.driver.set(k, payload, ttlMs);
      await this.driver.publish({ from: this.from, keys: [k] });
    });
  }

  invalidate(operation: string, unit: InvalidationUnit) {
    const { keys, tags } = unit;
    return this.tier.invalidating(operation, this.driver, unit, async () => {
      await Promise.all([keys.length ? this.driver.invalidate(keys) : 0, tags.length ? this.driver.bumpTags(tags) : 0]);
      await this.driver.publish({ from: this.from, ...(keys.length ? { keys: [...keys] } : {}), ...tagsOf(tags) });
    });
  }

  subscribe(onMessage: (m: BusMessage) => void, onState: (up: boolean) => void) {
    return this.driver.subscribe(onMessage, onState);
  }

  async close() {
    if (this.ownsTier) this.tier.close();
    await this.driver.close();
  }
}

const tagsOf = (tags: readonly string[]) => (tags.length ? { tags: [...tags] } : {});

/** No second tier: nothing to read, write or wait for, and L1 needs no bus to be trusted. */
export function nullTier(): L2Tier {
  return {
    present: false,
    l1Allowed: true,
    breakerState: "closed",
    events: new EventEmitter<TierEvents>(),
    start: async () => {},
    read: async () => undefined,
    readTagVersions: async () => undefined,
    readAllVersions: async () => undefined,
    publish: async () => {},
    lease: async () => undefined,
    fill: async () => false,
    put: async () => {},
    release: async () => {},
    // Nothing to write, but the entry is built: the caller puts it in L1.
    set: async (_k, _tags, build) => {
      build({ generation: 0, tagVersions: [] });
    },
    invalidate: async () => {},
    subscribe: async (_onMessage, onState) => {
      onState(true);
      return () => {};
    },
    close: async () => {},
  };
}
