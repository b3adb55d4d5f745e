import { describe, expect, it } from "vitest";
import { connectCacheBackend } from "../src/backend.ts";
import type { Cache } from "../src/cache.ts";
import { CacheUnavailableError } from "../src/errors.ts";
import { sleep, until, usePrivateRedis } from "./support/caches.ts";

const env = usePrivateRedis();
// Beats are the probes that find Redis back: a process owing invalidations replays within one of them.
const FAST = { heartbeat: { intervalMs: 50, deadlineMs: 250 }, breaker: { failureThreshold: 2, openMs: 1000 } };
const HEAL_BOUND_MS = 250;

/** Reads `keys` from `cache` in a loop for `ms`, recording when each read began relative to `t0`. */
async function readLoop(
  cache: Cache,
  keys: string[],
  load: (k: string) => () => Promise<string>,
  t0: number,
  ms: number,
) {
  const reads: Array<{ at: number; key: string; value: string }> = [];
  while (performance.now() - t0 < ms) {
    for (const key of keys) {
      const at = performance.now() - t0;
      reads.push({ at, key, value: await cache.getOrLoad(key, load(key), { tags: key === "a" ? [] : ["grp"] }) });
    }
    await sleep(5);
  }
  return reads;
}

describe("recovery after Redis paused during a write", () => {
  it("no read later than 250 ms after the heal meets an invalidation owed by another process", async () => {
    const db = new Map([
      ["a", "v1"],
      ["b", "v1"],
      ["c", "v1"],
    ]);
    const load = (k: string) => async () => db.get(k) as string;
    const opts = { prefix: "heal", commandTimeoutMs: 150, ...FAST };
    const writer = await env.factory.make(opts);
    const reader = await env.factory.make(opts);
    for (const p of [writer, reader]) {
      await p.getOrLoad("a", load("a"));
      for (const k of ["b", "c"]) await p.getOrLoad(k, load(k), { tags: ["grp"] });
    }

    env.redis.pause();
    // Sent while Redis is frozen: it times out here, and runs there when Redis thaws.
    db.set("a", "v2");
    await expect(writer.invalidate(["a"])).rejects.toBeInstanceOf(CacheUnavailableError);
    // Refused by the open breaker: never sent, only kept. A key and a tag as one unit.
    await until(() => writer.breakerState !== "closed", 3000, "the writer's breaker to open");
    db.set("b", "v2");
    db.set("c", "v2");
    await expect(writer.invalidate({ keys: ["b"], tags: ["grp"] })).rejects.toBeInstanceOf(CacheUnavailableError);
    expect(env.factory.backendOf(writer).health.pendingInvalidations).toBe(3);
    await sleep(200);

    env.redis.resume();
    const healed = performance.now();
    const reads = await readLoop(reader, ["a", "b", "c"], load, healed, 1500);
    const stale = reads.filter((r) => r.value !== db.get(r.key));
    const lastStale = Math.max(0, ...stale.map((r) => r.at));
    console.info(
      `pause during a write: ${reads.length} reads over 1.5 s after the heal, ${stale.length} stale, the last ${lastStale.toFixed(0)} ms after it`,
    );
    expect(stale.filter((r) => r.at > HEAL_BOUND_MS)).toEqual([]);
    expect(env.factory.backendOf(writer).health.pendingInvalidations).toBe(0);
    for (const k of ["a", "b", "c"])
      expect(await reader.getOrLoad(k, load(k), { tags: k === "a" ? [] : ["grp"] })).toBe("v2");
  }, 30_000);

  it("a key space that owed too much is fenced: every entry of it is a miss for every process", async () => {
    const opts = { prefix: "fence", commandTimeoutMs: 150, maxPendingInvalidations: 2, ...FAST };
    const writer = await env.factory.make(opts);
    const reader = await env.factory.make(opts);
    let loads = 0;
    const load = async () => `v${++loads}`;
    expect(await reader.getOrLoad("untouched", load)).toBe("v1");
    expect(await reader.fetch("untouched", load)).toMatchObject({ layer: "l1" });

    env.redis.pause();
    await until(() => writer.breakerState !== "closed", 3000, "the writer's breaker to open");
    await writer.invalidate(["x", "y", "z"]).catch(() => undefined);
    expect(env.factory.backendOf(writer).health.pendingInvalidations).toBe(1);
    env.redis.resume();

    await until(() => env.factory.backendOf(writer).health.pendingInvalidations === 0, 3000, "the fence");
    await until(() => reader.breakerState === "closed", 3000, "the reader's recovery");
    // Never invalidated, still in L2: but filled under the old generation, so reloaded.
    expect(await reader.fetch("untouched", load)).toMatchObject({ status: "miss", value: "v2" });
  }, 30_000);
});

describe("caches on one connection", () => {
  it("share one breaker, and a reader's first read after recovery comes after the writer's replay", async () => {
    const backend = await connectCacheBackend({
      url: env.redis.url,
      commandTimeoutMs: 150,
      // Slow beats: here the replay is the reader's doing, not the heartbeat's.
      heartbeat: { intervalMs: 2000, deadlineMs: 6000 },
      breaker: { failureThreshold: 1, openMs: 200 },
    });
    try {
      // As in MES: the outbox's invalidation handle and a reader, on one prefix and one connection.
      const outbox = await backend.createCache({ name: "outbox", prefix: "orders", l1MaxBytes: 0 });
      const orders = await backend.createCache({ name: "orders", prefix: "orders" });
      let status = "created";
      const load = async () => status;
      await orders.getOrLoad("order:1", load);
      await orders.getOrLoad("order:2", load);

      env.redis.pause();
      await outbox.invalidate(["order:0"]).catch(() => undefined);
      expect([outbox.breakerState, orders.breakerState]).toEqual(["open", "open"]);
      status = "approved";
      await expect(outbox.invalidate(["order:1"])).rejects.toBeInstanceOf(CacheUnavailableError);
      expect(backend.health.pendingInvalidations).toBe(2);
      env.redis.resume();

      await until(() => orders.breakerState !== "open", 3000, "the half-open breaker");
      expect(await orders.fetch("order:1", load)).toMatchObject({ status: "miss", value: "approved" });
      expect(backend.health).toMatchObject({ breaker: "closed", pendingInvalidations: 0 });
      expect(await orders.fetch("order:2", load)).toMatchObject({ status: "hit", layer: "l2", value: "created" });
    } finally {
      await backend.close();
    }
  }, 30_000);
});
