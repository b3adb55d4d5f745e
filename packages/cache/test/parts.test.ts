import { describe, expect, it } from "vitest";
import { CircuitBreaker } from "../src/circuit-breaker.ts";
import { KeySpace, normalizeKey } from "../src/keys.ts";
import { L1Cache } from "../src/l1-cache.ts";
import { jsonSerializer } from "../src/serializer.ts";
import { SingleFlight } from "../src/single-flight.ts";

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

describe("keys", () => {
  it("keeps plain keys and hashes the rest", () => {
    expect(normalizeKey("order:42")).toBe("order:42");
    expect(normalizeKey("q=a b")).toMatch(/^#[A-Za-z0-9_-]{43}$/);
    expect(normalizeKey("x".repeat(201))).toMatch(/^#/);
    expect(normalizeKey("{slot}")).not.toContain("{");
  });

  it("puts an entry, its version and its lease in one hash slot, and tags in another", () => {
    const ks = new KeySpace("shop");
    const slot = (k: string) => /\{([^}]*)\}/.exec(k)?.[1];
    expect(slot(ks.data("p:1"))).toBe("p:1");
    expect(slot(ks.version("p:1"))).toBe("p:1");
    expect(slot(ks.lease("p:1"))).toBe("p:1");
    expect(slot(ks.tag("products"))).toBe("shop:tags");
    expect(slot(ks.tag("cat:gears"))).toBe("shop:tags");
    expect(() => new KeySpace("bad prefix")).toThrow(/invalid cache prefix/);
  });
});

describe("L1Cache", () => {
  const entry = (size: number, tags: string[] = []) => ({
    kind: 0,
    freshUntil: 1,
    staleUntil: 1,
    loadMs: 0,
    tags,
    tagVersions: tags.map(() => 0),
    value: size,
    size,
  });

  it("stays within its byte budget, evicting the least recently used", () => {
    const l1 = new L1Cache(10_000);
    for (let i = 0; i < 100; i++) l1.set(`k${i}`, entry(1000));
    expect(l1.bytes).toBeLessThanOrEqual(10_000);
    expect(l1.get("k99")).toBeDefined();
    expect(l1.get("k0")).toBeUndefined();
  });

  it("evicts by tag and forgets the tags of evicted entries", () => {
    const l1 = new L1Cache(1_000_000);
    l1.set("a", entry(10, ["t1"]));
    l1.set("b", entry(10, ["t1", "t2"]));
    l1.set("c", entry(10, ["t2"]));
    l1.deleteTag("t1");
    expect([l1.get("a"), l1.get("b"), l1.get("c")].map(Boolean)).toEqual([false, false, true]);
    l1.delete("c");
    l1.deleteTag("t2");
    expect(l1.size).toBe(0);
    l1.set("d", entry(10));
    l1.clear();
    expect(l1.size).toBe(0);
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
