import { describe, expect, it } from "vitest";
import { CircuitBreaker } from "../src/circuit-breaker.ts";
import { KIND_BINARY, KIND_NOT_FOUND } from "../src/entry.ts";
import { KeySpace, normalizeKey } from "../src/keys.ts";
import { L1_DECODED_FACTOR, L1_ENTRY_OVERHEAD, L1_TAG_OVERHEAD, L1Cache, l1EntrySize } from "../src/l1-cache.ts";
import { keySpaceBus, parseBusMessage } from "../src/l2-driver.ts";
import { createMemoryConnection, MemoryL2Store } from "../src/memory-l2.ts";
import { connectRedis } from "../src/redis-connection.ts";
import { jsonSerializer } from "../src/serializer.ts";
import { SingleFlight } from "../src/single-flight.ts";
import { until } from "./support/caches.ts";

describe("CircuitBreaker", () => {
  it("opens after the threshold, half-opens for one probe, and closes on its success", () => {
    let t = 0;
    const states: string[] = [];
    const b = new CircuitBreaker({
      failureThreshold: 2,
      openMs: 100,
      now: () => t,
      onStateChange: (s) => states.push(s),
    });
    expect(b.allow()).toBe(true);
    b.failure();
    expect(b.state).toBe("closed");
    b.failure();
    expect(b.state).toBe("open");
    expect(b.allow()).toBe(false);
    t = 100;
    expect(b.allow()).toBe(true);
    expect(b.allow()).toBe(false);
    b.failure();
    expect(b.state).toBe("open");
    t = 250;
    expect(b.allow()).toBe(true);
    b.success();
    expect(b.state).toBe("closed");
    expect(states).toEqual(["open", "half_open", "open", "half_open", "closed"]);
  });
});

describe("CircuitBreaker.probe", () => {
  it("lets one probe through while open, off the open period's schedule, and its success closes", () => {
    let t = 0;
    const b = new CircuitBreaker({ failureThreshold: 1, openMs: 10_000, now: () => t });
    expect(b.probe()).toBe(true);
    b.failure();
    expect(b.state).toBe("open");
    expect(b.allow()).toBe(false);
    expect(b.probe()).toBe(true);
    expect(b.probe()).toBe(false);
    b.failure();
    t = 5;
    expect(b.probe()).toBe(true);
    b.success();
    expect(b.state).toBe("closed");
  });
});

describe("MemoryL2Store", () => {
  it("reads expiry off the clock it is given", () => {
    let t = 1000;
    const store = new MemoryL2Store({ now: () => t });
    store.set("k", "v", 50);
    t = 1049;
    expect(store.get("k")).toBe("v");
    t = 1050;
    expect(store.get("k")).toBeNull();
  });
});

describe("bus messages", () => {
  it("parses ours and ignores anything else", () => {
    expect(parseBusMessage('{"from":"a","keys":["k"]}')).toEqual({ from: "a", keys: ["k"] });
    expect(parseBusMessage("not json")).toBeNull();
    expect(parseBusMessage('{"keys":["k"]}')).toBeNull();
    expect(parseBusMessage("null")).toBeNull();
  });

  it("travels as JSON on the key space's channel", async () => {
    const store = new MemoryL2Store();
    const bus = keySpaceBus(createMemoryConnection(store), "ks:bus");
    const got: unknown[] = [];
    const leave = await bus.subscribe(
      (m) => got.push(m),
      () => {},
    );
    store.publish("ks:bus", "garbage");
    await bus.publish({ from: "x", tags: ["t"] });
    await until(() => got.length === 1, 1000, "the message");
    expect(got).toEqual([{ from: "x", tags: ["t"] }]);
    leave();
  });
});

describe("connectRedis", () => {
  it("turns TCP keepalive on and drops a connection that stops answering", () => {
    const client = connectRedis({ url: "redis://127.0.0.1:1", keepAliveMs: 3000, socketTimeoutMs: 1500 });
    expect(client.options).toMatchObject({ keepAlive: 3000, socketTimeout: 1500, enableOfflineQueue: false });
    client.disconnect();
    const defaults = connectRedis({ url: "redis://127.0.0.1:1" });
    expect(defaults.options).toMatchObject({ keepAlive: 5000, socketTimeout: 2000 });
    defaults.disconnect();
  });
});

describe("keys", () => {
  it("keeps plain keys and hashes the rest", () => {
    expect(normalizeKey("order:42")).toBe("order:42");
    expect(normalizeKey("q=a b")).toMatch(/^#[A-Za-z0-9_-]{43}$/);
    expect(normalizeKey("x".repeat(201))).toMatch(/^#/);
    expect(normalizeKey("{slot}")).not.toContain("{");
  });

  it("puts an entry, its version, lease and waiters' mark in one hash slot, and tags in another", () => {
    const ks = new KeySpace("shop");
    const slot = (k: string) => /\{([^}]*)\}/.exec(k)?.[1];
    expect(slot(ks.data("p:1"))).toBe("p:1");
    expect(slot(ks.version("p:1"))).toBe("p:1");
    expect(slot(ks.lease("p:1"))).toBe("p:1");
    expect(slot(ks.waiters("p:1"))).toBe("p:1");
    expect(slot(ks.tag("products"))).toBe("shop:tags");
    expect(slot(ks.tag("cat:gears"))).toBe("shop:tags");
    expect(slot(ks.generation)).toBe("shop:tags");
    expect(ks.generation).not.toBe(ks.tag("@gen"));
    expect(() => new KeySpace("bad prefix")).toThrow(/invalid cache prefix/);
  });
});

describe("L1Cache", () => {
  const meta = (tags: string[] = [], staleUntil = Number.POSITIVE_INFINITY) => ({
    kind: 0,
    freshUntil: staleUntil,
    staleUntil,
    loadMs: 0,
    generation: 0,
    tags,
    tagVersions: tags.map(() => 0),
  });

  it("stays within its byte budget, evicting the least recently used", () => {
    const l1 = new L1Cache({ maxBytes: 20_000 });
    for (let i = 0; i < 100; i++) l1.set(`k${i}`, meta(), i, 500);
    expect(l1.bytes).toBeLessThanOrEqual(20_000);
    expect(l1.get("k99")).toBeDefined();
    expect(l1.get("k0")).toBeUndefined();
  });

  it("counts what an entry costs the heap: its value decoded, its tags, and an overhead even when not found", () => {
    const notFound = l1EntrySize("k", { kind: KIND_NOT_FOUND, tags: [] }, 0);
    expect(notFound).toBe(L1_ENTRY_OVERHEAD + 2);
    expect(l1EntrySize("k", { kind: KIND_NOT_FOUND, tags: ["a", "b"] }, 0)).toBe(notFound + 2 * L1_TAG_OVERHEAD);
    expect(l1EntrySize("k", { kind: 0, tags: [] }, 1000)).toBeGreaterThanOrEqual(notFound + L1_DECODED_FACTOR * 1000);
    expect(l1EntrySize("k", { kind: KIND_BINARY, tags: [] }, 1000)).toBeGreaterThan(notFound + 1000);
  });

  it("evicts by tag and forgets the tags of evicted entries", () => {
    const l1 = new L1Cache({ maxBytes: 1_000_000 });
    l1.set("a", meta(["t1"]), 1, 10);
    l1.set("b", meta(["t1", "t2"]), 1, 10);
    l1.set("c", meta(["t2"]), 1, 10);
    l1.deleteTag("t1");
    expect([l1.get("a"), l1.get("b"), l1.get("c")].map(Boolean)).toEqual([false, false, true]);
    l1.delete("c");
    l1.deleteTag("t2");
    expect(l1.size).toBe(0);
    l1.set("d", meta(), 1, 10);
    l1.clear();
    expect(l1.size).toBe(0);
  });

  it("lets entries go at the end of their stale window, on read or by the sweep", () => {
    let t = 1000;
    const l1 = new L1Cache({ maxBytes: 1_000_000, now: () => t });
    l1.set("short", meta([], 1100), 1, 10);
    l1.set("long", meta([], 5000), 1, 10);
    l1.set("read", meta([], 1100), 1, 10);
    t = 1100;
    expect(l1.get("read")).toBeUndefined();
    expect(l1.size).toBe(2);
    l1.sweep();
    expect(l1.size).toBe(1);
    expect(l1.get("long")).toBeDefined();
    l1.close();
  });

  it("sweeps by itself every sweepMs while it holds entries", async () => {
    let t = 1000;
    const l1 = new L1Cache({ maxBytes: 1_000_000, now: () => t, sweepMs: 10 });
    l1.set("k", meta([], 1050), 1, 10);
    t = 2000;
    await until(() => l1.size === 0, 2000, "the sweep");
    l1.close();
  });
});

describe("SingleFlight", () => {
  it("tracks one flight per key and marks invalidations", async () => {
    const sf = new SingleFlight<number>();
    let end!: () => void;
    const done = new Promise<void>((r) => {
      end = r;
    });
    const f = sf.start("k", ["t"], () => ({ result: Promise.resolve(1), done }));
    expect(sf.get("k")).toBe(f);
    sf.invalidateTag("other");
    expect(f.invalidated).toBe(false);
    sf.invalidateTag("t");
    expect(f.invalidated).toBe(true);
    end();
    await done;
    await Promise.resolve();
    expect(sf.get("k")).toBeUndefined();
  });
});

describe("jsonSerializer", () => {
  it("round-trips JSON values", () => {
    const v = { a: [1, "x", null], b: { c: true } };
    expect(jsonSerializer.deserialize(jsonSerializer.serialize(v))).toEqual(v);
  });
});
