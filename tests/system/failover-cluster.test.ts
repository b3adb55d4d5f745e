import { seed } from "@printfab/launcher";
import { type RedisCluster, startRedisCluster } from "@printfab/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failoverHeld, failoverUnderLoad, HELD } from "../support/failover-load.ts";
import { startTestSystem, type TestSystem } from "../support/test-system.ts";

/**
 * The services on a Redis Cluster (three masters, three replicas) while the master holding a hot product
 * page's slot is killed (-9) under load; the same guarantees as failover-sentinel.test.ts.
 */
const MARGIN_MS = 1000;
let cluster: RedisCluster;
let sys: TestSystem;

beforeAll(async () => {
  cluster = await startRedisCluster();
  sys = await startTestSystem({
    cache: "redis",
    env: { REDIS_CLUSTER_NODES: cluster.seeds, REDIS_COMMAND_TIMEOUT_MS: "250" },
  });
  await seed(sys.db, { products: 20, customers: 2, orders: 0 });
}, 60_000);
afterAll(async () => {
  await sys?.stop();
  await cluster?.stop();
});

describe("Cluster failover under load", () => {
  it("kill -9 of the master of a hot product page's slot: its replica takes over", async () => {
    const [hot] = await sys.db.query<{ id: number }>(
      "SELECT id FROM shop.products WHERE category = (SELECT min(category) FROM shop.products) ORDER BY id LIMIT 1",
    );
    // The page's entry and version share the hash tag {v2:product:<id>} (packages/cache/src/keys.ts).
    const slotKey = `{v2:product:${hot?.id}}`;
    const v = await failoverUnderLoad(
      sys,
      async () => {
        const master = await cluster.masterOf(slotKey);
        const faultAt = performance.now();
        await cluster.killNode(master);
        await cluster.waitForNewMaster(slotKey, master);
        return { faultAt, servingAt: performance.now() };
      },
      MARGIN_MS,
    );
    expect(failoverHeld(v)).toEqual(HELD);
  }, 30_000);
});
