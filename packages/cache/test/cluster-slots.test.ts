import { redisCli } from "@printfab/testkit";
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeySpace } from "../src/keys.ts";
import { type RedisTarget, slotErrors, startRedisTarget } from "./support/redis-targets.ts";

/** What the shared suites' "no CROSSSLOT, no MOVED" check rests on, on a real cluster. */
let cluster: RedisTarget;
beforeAll(async () => {
  cluster = await startRedisTarget("cluster");
}, 30_000);
afterAll(() => cluster?.stop());

const slot = async (key: string) => Number(await redisCli(cluster.port, "CLUSTER", "KEYSLOT", key));

describe("Cluster slots of a key space", () => {
  it("puts an entry, its version, lease and waiters' mark in one slot, and the generation with every tag", async () => {
    const keys = new KeySpace("pf:shop");
    // Plain keys, a key with braces of its own (hashed, so they cannot become the hash tag), a long one.
    for (const k of ["v2:product:1", "order:42", "list:{a}b", "x".repeat(300)]) {
      const slots = new Set(
        await Promise.all([keys.data(k), keys.version(k), keys.lease(k), keys.waiters(k)].map(slot)),
      );
      expect(slots.size).toBe(1);
    }
    const counters = new Set(await Promise.all([keys.generation, keys.tag("products"), keys.tag("{x}")].map(slot)));
    expect(counters.size).toBe(1);
  });

  it("the check sees a script sent across slots and a command sent to the wrong node", async () => {
    const before = await slotErrors(cluster);
    const client = new Cluster(cluster.connection.clusterNodes ?? []);
    try {
      await expect(client.eval("return 1", 2, "a", "b")).rejects.toThrow(/CROSSSLOT/);
    } finally {
      client.disconnect();
    }
    // redis-cli without -c follows no redirection: the first node is asked for keys of three slots, which
    // three masters hold.
    for (const k of ["a", "b", "c"]) await redisCli(cluster.port, "GET", k);
    const after = await slotErrors(cluster);
    expect(after.CROSSSLOT).toBeGreaterThan(before.CROSSSLOT ?? 0);
    expect(after.MOVED).toBeGreaterThan(before.MOVED ?? 0);
  });
});
