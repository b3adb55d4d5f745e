import { describe, expect, it } from "vitest";
import { CacheUnavailableError } from "../src/errors.ts";
import { deferred, sleep, until, usePrivateRedis } from "./support/caches.ts";
import { expectNoSlotErrors, REDIS_KINDS, type RedisKind } from "./support/redis-targets.ts";

const BUDGET_MS = 1500;
const timed = async <T>(p: Promise<T>) => {
  const t = performance.now();
  const value = await p;
  return { value, ms: performance.now() - t };
};

for (const kind of REDIS_KINDS) describe(`Redis faults on Redis ${kind}`, () => redisFaults(kind));

/** On a cluster, every node at once: the whole cache is killed, paused or loses its subscribers. */
function redisFaults(kind: RedisKind) {
  const env = usePrivateRedis(kind);

  it("Redis killed mid-load: no call fails or hangs, the breaker opens, and after recovery nothing stale is served", async () => {
    const db = new Map([
      ["a", "v1"],
      ["b", "v1"],
    ]);
    const opts = { prefix: "kill", breaker: { failureThreshold: 2, openMs: 200 } };
    const p1 = await env.factory.make(opts);
    const p2 = await env.factory.make(opts);
    const load = (k: string) => async () => db.get(k);
    await p1.getOrLoad("b", load("b"));
    await p2.getOrLoad("b", load("b"));
    const held = deferred();
    const midLoad = p1.getOrLoad("a", async () => {
      const v = db.get("a");
      await held.promise;
      return v;
    });
    await sleep(20);
    await env.redis.kill();
    held.resolve();
    const r = await timed(midLoad);
    expect(r.value).toBe("v1");
    expect(r.ms).toBeLessThan(BUDGET_MS);
    // Both notice the lost subscription, so neither trusts an L1 that may miss evictions from now on.
    await until(() => !p1.l1Trusted && !p2.l1Trusted, 1000);

    // During the outage every read is answered (by the loader), fast, and writes are not lost.
    db.set("b", "v2");
    await expect(p1.invalidate(["b"])).rejects.toBeInstanceOf(CacheUnavailableError);
    await expect(p1.invalidate(["b"])).rejects.toMatchObject({ code: "cache_unavailable" });
    for (let i = 0; i < 20; i++) {
      for (const p of [p1, p2]) {
        const res = await timed(p.getOrLoad("b", load("b")));
        expect(res.value).toBe("v2");
        expect(res.ms).toBeLessThan(BUDGET_MS);
      }
    }
    expect(p1.breakerState).not.toBe("closed");

    await env.redis.restart();
    await until(async () => {
      await Promise.all([p1.getOrLoad("b", load("b")), p2.getOrLoad("b", load("b"))]);
      return [p1, p2].every((p) => p.breakerState === "closed" && p.l1Trusted);
    });
    db.set("b", "v3");
    await p2.invalidate(["b"]);
    expect(await p2.getOrLoad("b", load("b"))).toBe("v3");
    // p1's L1 drops it when the eviction arrives: on a Cluster it crosses the cluster bus, one hop more.
    await until(async () => (await p1.getOrLoad("b", load("b"))) === "v3", 1000, "the eviction on p1");
    expect(await p1.getOrLoad("a", load("a"))).toBe("v1");
  }, 30_000);

  it("an invalidation made while Redis does not answer is replayed when it answers again", async () => {
    const db = new Map([["k", "v1"]]);
    const opts = { prefix: "pause", breaker: { failureThreshold: 1, openMs: 100 } };
    const writer = await env.factory.make(opts);
    const reader = await env.factory.make(opts);
    const load = async () => db.get("k");
    await writer.getOrLoad("k", load);
    await reader.getOrLoad("k", load);
    // Commands wait, so they time out; the data stays, as in a network partition.
    await env.redis.onEveryNode("CLIENT", "PAUSE", "1000", "ALL");
    db.set("k", "v2");
    const started = performance.now();
    await expect(writer.invalidate(["k"])).rejects.toBeInstanceOf(CacheUnavailableError);
    expect(performance.now() - started).toBeLessThan(BUDGET_MS);
    await sleep(1200);
    // Nobody asks the writer for anything: its recovery timer replays the invalidation by itself.
    await until(async () => (await reader.getOrLoad("k", load)) === "v2");
  }, 15_000);

  it("a bus reconnect empties L1 and distrusts it until the subscription is back", async () => {
    const p = await env.factory.make({ prefix: "bus" });
    const events: boolean[] = [];
    p.events.on("bus", ({ up }) => events.push(up));
    let v = 1;
    await p.getOrLoad("k", async () => v);
    await env.redis.onEveryNode("CLIENT", "KILL", "TYPE", "pubsub");
    await until(() => events.length >= 2 && p.l1Trusted);
    v = 2;
    // L1 was emptied: the value comes again from L2, not from an L1 that may have missed evictions.
    expect(await p.fetch("k", async () => v)).toMatchObject({ layer: "l2", value: 1 });
    expect(events).toEqual([false, true]);
  }, 15_000);

  expectNoSlotErrors(() => env.redis);
}
