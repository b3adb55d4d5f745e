import { EventEmitter } from "node:events";
import type { KeySpace } from "./keys.ts";
import type { BusMessage, L2Driver } from "./l2-driver.ts";

interface Slot {
  value: Buffer | string;
  expiresAt: number;
}

/**
 * An in-process stand-in for Redis, for the embedded default (`npm start` with no REDIS_URL): several
 * caches of one process share it, and its bus delivers on the next tick as pub/sub would.
 */
export class MemoryL2Store {
  readonly #slots = new Map<string, Slot>();
  readonly bus = new EventEmitter().setMaxListeners(0);
  #sweeps = 0;

  get(key: string, now = Date.now()): Buffer | string | null {
    const slot = this.#slots.get(key);
    if (!slot) return null;
    if (slot.expiresAt <= now) {
      this.#slots.delete(key);
      return null;
    }
    return slot.value;
  }

  set(key: string, value: Buffer | string, ttlMs: number): void {
    this.#slots.set(key, { value, expiresAt: Date.now() + ttlMs });
    // Expired slots nobody reads again are swept now and then, so memory stays bounded by live data.
    if (++this.#sweeps >= 10_000) {
      this.#sweeps = 0;
      const now = Date.now();
      for (const [k, s] of this.#slots) if (s.expiresAt <= now) this.#slots.delete(k);
    }
  }

  delete(key: string): void {
    this.#slots.delete(key);
  }

  keys(): IterableIterator<string> {
    return this.#slots.keys();
  }
}

const LONG = 24 * 3600 * 1000;

export function createMemoryL2(store: MemoryL2Store, keys: KeySpace): L2Driver {
  const version = (k: string) => String(store.get(keys.version(k)) ?? "0");
  const bump = (fullKey: string) => store.set(fullKey, String(Number(store.get(fullKey) ?? 0) + 1), LONG);
  const listeners: Array<(m: BusMessage) => void> = [];
  return {
    async read(key, tags) {
      const payload = store.get(keys.data(key));
      return {
        payload: payload === null ? null : (payload as Buffer),
        tagVersions: tags.map((t) => Number(store.get(keys.tag(t)) ?? 0)),
      };
    },
    async readVersion(key) {
      return version(key);
    },
    async fill(key, expectedVersion, payload, ttlMs, leaseToken, from) {
      const stored = version(key) === expectedVersion;
      if (stored) store.set(keys.data(key), payload, ttlMs);
      if (leaseToken) {
        if (store.get(keys.lease(key)) === leaseToken) store.delete(keys.lease(key));
        const message: BusMessage = { from: from ?? "", filled: key };
        setImmediate(() => store.bus.emit(keys.channel, message));
      }
      return stored;
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
    async readTagVersions(tags) {
      return tags.map((t) => Number(store.get(keys.tag(t)) ?? 0));
    },
    async acquireLease(key, token, ttlMs, unlessFilled) {
      if (unlessFilled && store.get(keys.data(key)) !== null) return "filled";
      if (store.get(keys.lease(key)) !== null) return "busy";
      store.set(keys.lease(key), token, ttlMs);
      return "acquired";
    },
    async releaseLease(key, token) {
      if (store.get(keys.lease(key)) === token) store.delete(keys.lease(key));
    },
    async flush() {
      for (const k of [...store.keys()]) if (k.startsWith(`${keys.prefix}:`) && k.endsWith(":d")) store.delete(k);
    },
    async publish(message) {
      setImmediate(() => store.bus.emit(keys.channel, message));
    },
    async subscribe(onMessage, onBusState) {
      listeners.push(onMessage);
      store.bus.on(keys.channel, onMessage);
      onBusState(true);
    },
    async close() {
      for (const l of listeners) store.bus.off(keys.channel, l);
    },
  };
}
