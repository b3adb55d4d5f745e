import { seed } from "@printfab/launcher";
import { type Direction, type FaultProxy, type RedisServer, startFaultProxy } from "@printfab/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FaultParts, openFaultParts } from "../support/fault-parts.ts";
import { describeStale, FreshnessProbe, staleSince } from "../support/freshness-probe.ts";
import { type ShopInstance, startShopInstance } from "../support/shop-instance.ts";
import { startTestSystem, type TestSystem } from "../support/test-system.ts";
import { sleep, until } from "../support/waiting.ts";

// The bounds: L1 unused within 1 s of the bus going silent; fresh within 250 ms of healing.
const SILENT_WITHIN_MS = 1000;
const HEALED_WITHIN_MS = 250;

let parts: FaultParts;
let sys: TestSystem;
let proxy: FaultProxy;
let lonely: ShopInstance;

beforeAll(async () => {
  parts = await openFaultParts({ privateRedis: true });
  sys = await startTestSystem({ env: parts.env });
  await seed(sys.db, { products: 20, customers: 1, orders: 0 });
  // Only this Shop reaches Redis through the proxy; the test system's Shop and MES do not.
  proxy = await startFaultProxy({ port: (parts.redis as RedisServer).port });
  lonely = await startShopInstance({ ...parts.env, REDIS_URL: proxy.url(), MES_URL: sys.urls.mes });
});
afterAll(async () => {
  proxy?.pass();
  await lonely?.stop();
  await proxy?.close();
  await sys?.stop();
  await parts?.close();
});

const priceOn = async (url: string, id: number) => {
  const res = await fetch(`${url}/products/${id}`);
  return res.ok ? ((await res.json()) as { priceCents: number }).priceCents : undefined;
};
const setPrice = (id: number, priceCents: number, through = sys.urls.shop) =>
  sys.call(`${through}/products/${id}`, { method: "PATCH", token: sys.token("manager"), body: { priceCents } });
type Health = { status: string; dependencies: Record<string, { status: string }> };
const lonelyHealth = async () => (await (await fetch(`${lonely.url}/health`)).json()) as Health;

describe("a silent bus on one Shop (its Redis connections half-open)", () => {
  it.each<[Direction, number]>([
    ["downstream", 3],
    ["upstream", 4],
  ])("%s blackholed: L1 unused within 1 s, /health degraded, fresh again after healing", async (direction, id) => {
    const old = (await priceOn(lonely.url, id)) as number;
    expect(await priceOn(lonely.url, id)).toBe(old);
    expect(lonely.caches.health()?.bus).toBe("confirmed");
    const probe = new FreshnessProbe([{ name: "lonely Shop", read: () => priceOn(lonely.url, id) }]);

    proxy.blackhole(direction);
    const silentAt = performance.now();
    expect((await setPrice(id, old + 1)).status).toBe(200);
    await until(async () => (await lonelyHealth()).status === "degraded", 3000, "/health degraded");
    const health = await lonelyHealth();
    expect(health.dependencies.redis?.status).toBe("down");
    await until(() => lonely.caches.health()?.bus === "silent", 3000, "the bus found silent");
    await sleep(Math.max(0, silentAt + 1500 - performance.now()));

    // Healed, then changed again from the other Shop: the lonely one must follow within the bound.
    proxy.pass();
    const healedAt = performance.now();
    await until(() => lonely.caches.health()?.bus === "confirmed", 10_000, "the bus confirmed again");
    const rejoinedMs = performance.now() - healedAt;
    expect((await setPrice(id, old + 2)).status).toBe(200);
    const changedAt = performance.now();
    await sleep(1000);
    const reads = await probe.stop();

    const duringFault = reads.filter((r) => r.startedAt < healedAt);
    console.info(
      `${direction} silent: ${describeStale(duringFault, silentAt, silentAt, old + 1)} (before healing); ` +
        `bus back ${rejoinedMs.toFixed(0)} ms after healing; after the next change: ${describeStale(
          reads,
          changedAt,
          changedAt,
          old + 2,
        )}`,
    );
    const lateDuringFault = staleSince(duringFault, silentAt + SILENT_WITHIN_MS, old + 1);
    expect(lateDuringFault.map((r) => `+${(r.startedAt - silentAt).toFixed(0)} ms: ${r.value}`)).toEqual([]);
    expect(staleSince(reads, changedAt + HEALED_WITHIN_MS, old + 2)).toEqual([]);
    expect((await lonelyHealth()).status).toBe("ok");
  });

  it("a change made through the Shop whose bus is half-open reaches the other Shop within 250 ms of healing", async () => {
    const id = 5;
    const old = (await priceOn(sys.urls.shop, id)) as number;
    expect(await priceOn(sys.urls.shop, id)).toBe(old);
    await until(() => lonely.caches.health()?.bus === "confirmed", 10_000, "the bus confirmed");
    proxy.blackhole("downstream");
    const silentAt = performance.now();
    // Acknowledged from PostgreSQL; its invalidation cannot reach Redis and waits in the lonely Shop.
    const res = await setPrice(id, old + 1, lonely.url);
    expect(res.status).toBe(200);
    // As long as the benchmark's fault: past the Redis client's socket timeout (2 s), so it reconnects.
    await sleep(Math.max(0, silentAt + 3000 - performance.now()));
    const probe = new FreshnessProbe([{ name: "the other Shop", read: () => priceOn(sys.urls.shop, id) }]);
    proxy.pass();
    const healedAt = performance.now();
    await sleep(1500);
    const reads = await probe.stop();
    console.info(`change through the lonely Shop, after healing: ${describeStale(reads, healedAt, healedAt, old + 1)}`);
    const late = staleSince(reads, healedAt + HEALED_WITHIN_MS, old + 1);
    expect(late.map((r) => `+${(r.startedAt - healedAt).toFixed(0)} ms: ${r.value}`)).toEqual([]);
  });
});
