import { EventEmitter } from "node:events";
import type { KeySpace } from "./keys.ts";
import {
  type BusMessage,
  keySpaceBus,
  type L2Connection,
  type L2Driver,
  type L2Read,
  type LeaseGrant,
} from "./l2-driver.ts";

interface Slot {
  value: Buffer | string;
  expiresAt: number;
}

/**
 * An in-process stand-in for Redis, for the embedded default (`npm start` with no REDIS_URL): several
 * caches of one process share it, and its bus delivers on the next tick as pub/sub would. Expiry reads
 * the clock it is given (the caches' `now`), so tests can move time for both tiers together.
 */
export class MemoryL2Store {
  readonly #slots = new Map<string, Slot>();
  readonly bus = new EventEmitter().setMaxListeners(0);
  readonly #now: () => number;
  #sweeps = 0;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  get(key: string): Buffer | string | null {
    const slot = this.#slots.get(key);
    if (!slot) return null;
    if (slot.expiresAt <= this.#now()) {
      this.#slots.delete(key);
      return null;
    }
    return slot.value;
  }

  set(key: string, value: Buffer | string, ttlMs: number): void {
    const now = this.#now();
    this.#slots.set(key, { value, expiresAt: now + ttlMs });
    // Expired slots nobody reads again are swept now and then, so memory stays bounded by live data.
    if (++this.#sweeps >= 10_000) {
      this.#sweeps = 0;
      for (const [k, s] of this.#slots) if (s.expiresAt <= now) this.#slots.delete(k);
    }
  }

  delete(key: string): void {
    this.#slots.delete(key);
  }

  /** Publishes on the next tick, as Redis pub/sub delivers after the command that published. */
  publish(channel: string, text: string): void {
    setImmediate(() => this.bus.emit(channel, text));
  }
}

/** The store as a connection: its bus cannot go silent, and there is nothing to close. */
export function createMemoryConnection(store: MemoryL2Store, namespace = "mem"): L2Connection {
  return {
    namespace,
    canGoSilent: false,
    async publish(channel, text) {
      store.publish(channel, text);
    },
    async join(channel, onMessage, onState) {
      store.bus.on(channel, onMessage);
      onState(true);
      return () => {
        store.bus.off(channel, onMessage);
      };
    },
    resetSubscriber() {},
    async close() {},
  };
}

const LONG = 24 * 3600 * 1000;

/** A key space on the store; `connection` defaults to one of its own. */
export function createMemoryL2(
  store: MemoryL2Store,
  keys: KeySpace,
  connection: L2Connection = createMemoryConnection(store, keys.prefix),
): L2Driver {
  const count = (fullKey: string) => Number(store.get(fullKey) ?? 0);
  const version = (k: string) => String(count(keys.version(k)));
  const bump = (fullKey: string) => store.set(fullKey, String(count(fullKey) + 1), LONG);
  const takeLease = (key: string, token: string, ttlMs: number): LeaseGrant => {
    if (store.get(keys.lease(key)) === null) {
      store.set(keys.lease(key), token, ttlMs);
      return { version: version(key), outcome: "acquired" };
    }
    if (store.get(keys.waiters(key)) === null) store.set(keys.waiters(key), "1", ttlMs);
    return { version: version(key), outcome: "busy" };
  };
  const release = (key: string, token: string, from: string | undefined) => {
    if (store.get(keys.lease(key)) === token) store.delete(keys.lease(key));
    if (store.get(keys.waiters(key)) === null) return;
    store.delete(keys.waiters(key));
    store.publish(keys.channel, JSON.stringify({ from: from ?? "", filled: key } satisfies BusMessage));
  };
  return {
    keys,
    connection,
    ...keySpaceBus(connection, keys.channel),
    async read(key, tags, lease) {
      const payload = store.get(keys.data(key));
      const read: L2Read = {
        payload: payload === null ? null : (payload as Buffer),
        generation: count(keys.generation),
        tagVersions: tags.map((t) => count(keys.tag(t))),
      };
      if (lease && payload === null) read.lease = takeLease(key, lease.token, lease.ttlMs);
      return read;
    },
    async readKeyVersion(key) {
      return version(key);
    },
    async readVersions(tags) {
      return { generation: count(keys.generation), tagVersions: tags.map((t) => count(keys.tag(t))) };
    },
    async fill(key, expectedVersion, payload, ttlMs, leaseToken, from) {
      const stored = version(key) === expectedVersion;
      if (stored) store.set(keys.data(key), payload, ttlMs);
      if (leaseToken) release(key, leaseToken, from);
      return stored;
    },
    async put(key, payload, ttlMs) {
      if (store.get(keys.data(key)) === null) store.set(keys.data(key), payload, ttlMs);
    },
    async set(key, payload, ttlMs) {
      bump(keys.version(key));
      store.set(keys.data(key), payload, ttlMs);
    },
    async invalidate(list) {
      for (const k of list) {
        bump(keys.version(k));
        store.delete(keys.data(k));
      }
    },
    async bumpTags(tags) {
      for (const t of tags) bump(keys.tag(t));
    },
    async bumpGeneration() {
      bump(keys.generation);
    },
    async acquireLease(key, token, ttlMs) {
      return takeLease(key, token, ttlMs);
    },
    async releaseLease(key, token, from) {
      release(key, token, from);
    },
    async close() {},
  };
}
