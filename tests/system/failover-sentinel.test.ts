import { seed } from "@printfab/launcher";
import { type RedisSentinelGroup, startRedisSentinel } from "@printfab/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failoverHeld, failoverUnderLoad, HELD } from "../support/failover-load.ts";
import { startTestSystem, type TestSystem } from "../support/test-system.ts";

/**
 * The services on a Sentinel group (a master, a replica, three sentinels) while its master changes under
 * load: readers of product and list pages through the Shop, a writer changing prices through the API.
 * Failed requests only inside the window (fault -> new master serving, plus MARGIN_MS), no stale read
 * later than 250 ms after it, and every acknowledged price shown at the end, those acknowledged while the
 * master changed included (their invalidations were journalled and replayed on the new master).
 */
const MARGIN_MS = 1000;
let group: RedisSentinelGroup;
let sys: TestSystem;

beforeAll(async () => {
  group = await startRedisSentinel();
  sys = await startTestSystem({
    cache: "redis",
    env: { REDIS_SENTINELS: group.seeds, REDIS_SENTINEL_NAME: group.name, REDIS_COMMAND_TIMEOUT_MS: "250" },
  });
  await seed(sys.db, { products: 20, customers: 2, orders: 0 });
}, 60_000);
afterAll(async () => {
  await sys?.stop();
  await group?.stop();
});

describe("Sentinel failovers under load", () => {
  it("SENTINEL FAILOVER: the demoted master's clients move to the new one", async () => {
    const v = await failoverUnderLoad(
      sys,
      async () => {
        const faultAt = performance.now();
        await group.waitForNewMaster(await group.failover());
        return { faultAt, servingAt: performance.now() };
      },
      MARGIN_MS,
    );
    expect(failoverHeld(v)).toEqual(HELD);
  }, 30_000);

  it("kill -9 of the master: the sentinels promote the replica", async () => {
    const v = await failoverUnderLoad(
      sys,
      async () => {
        const faultAt = performance.now();
        await group.waitForNewMaster(await group.killMaster());
        return { faultAt, servingAt: performance.now() };
      },
      MARGIN_MS,
    );
    expect(failoverHeld(v)).toEqual(HELD);
  }, 30_000);
});
