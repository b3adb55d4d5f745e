import { seed } from "@printfab/launcher";
import { startRedisCluster, startRedisServer } from "@printfab/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSystem, type TestSystem } from "../support/test-system.ts";
import { sleep, until } from "../support/waiting.ts";

/**
 * Writes acknowledged while Redis is frozen (SIGSTOP: connections open, nothing answered). Their
 * invalidations cannot reach Redis; the cache engine journals each write's keys and tags as one unit and
 * the outbox keeps the event, so the cached pages are fresh right after Redis thaws, not after their TTL
 * (300 s for list pages, 600 s for product pages, 300 s for profiles). On a standalone server, and on a
 * cluster whose six nodes are all frozen at once.
 */
interface FrozenRedis {
  env: Record<string, string>;
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

const REDIS = {
  standalone: async (): Promise<FrozenRedis> => {
    const r = await startRedisServer();
    return { env: { REDIS_URL: r.url }, pause: r.pause, resume: r.resume, stop: r.stop };
  },
  // A node timeout well past the freeze: a thawed cluster must not take its own pause for a failure.
  cluster: async (): Promise<FrozenRedis> => {
    const c = await startRedisCluster({ nodeTimeoutMs: 5000 });
    return { env: { REDIS_CLUSTER_NODES: c.seeds }, pause: c.pause, resume: c.resume, stop: c.stop };
  },
};

for (const kind of ["standalone", "cluster"] as const) describe(`on Redis ${kind}`, () => outage(REDIS[kind]));

function outage(start: () => Promise<FrozenRedis>) {
  let redis: FrozenRedis;
  let sys: TestSystem;

  beforeAll(async () => {
    redis = await start();
    sys = await startTestSystem({ cache: "redis", env: redis.env });
    await seed(sys.db, { products: 20, customers: 2, orders: 0 });
  }, 60_000);
  afterAll(async () => {
    redis?.resume();
    await sys?.stop();
    await redis?.stop();
  });

  describe("writes acknowledged during a Redis outage", () => {
    it("show on the product page, the category list page and the profile right after Redis is back", async () => {
      const id = 7;
      const manager = sys.token("manager");
      const product = (await sys.call(`${sys.urls.shop}/products/${id}`)).body;
      const page = () => sys.call(`${sys.urls.shop}/products/${id}`);
      const list = () => sys.call(`${sys.urls.shop}/products?category=${product.category}&limit=100`);
      const profile = () => sys.call(`${sys.urls.crm}/customers/2`, { token: manager });
      const listed = (body: { items: Array<{ id: number; priceCents: number }> }) =>
        body.items.find((p) => p.id === id)?.priceCents;
      // Cached in L1 and L2 with the old values.
      for (const read of [page, list, profile]) await read();
      for (const read of [page, list, profile]) expect((await read()).headers.get("cache-status")).toMatch(/; hit/);
      const price = product.priceCents + 100;

      redis.pause();
      let writes: Array<Awaited<ReturnType<TestSystem["call"]>>>;
      try {
        writes = [
          await sys.call(`${sys.urls.shop}/products/${id}`, {
            method: "PATCH",
            token: manager,
            body: { priceCents: price },
          }),
          await sys.call(`${sys.urls.crm}/customers/2`, {
            method: "PATCH",
            token: manager,
            body: { address: "2 Thaw Rd" },
          }),
        ];
        // Long enough for the relays to retry and fail too, and for the bus to be found silent.
        await sleep(1500);
      } finally {
        redis.resume();
      }
      expect(writes.map((w) => w.status)).toEqual([200, 200]);

      // From the thaw on, past the breaker's open second and the bus's next beats, every read is fresh: the
      // journal replays the writes' invalidations before anything reads Redis again.
      const thawed = performance.now();
      const stale: string[] = [];
      while (performance.now() - thawed < 3000) {
        const at = `+${(performance.now() - thawed).toFixed(0)} ms`;
        const [p, l, c] = await Promise.all([page(), list(), profile()]);
        if (p.body.priceCents !== price) stale.push(`${at} product page ${p.body.priceCents}`);
        if (listed(l.body) !== price) stale.push(`${at} list page ${listed(l.body)}`);
        if (c.body.address !== "2 Thaw Rd") stale.push(`${at} profile ${c.body.address}`);
        await sleep(20);
      }
      expect(stale).toEqual([]);
      // And by then they are answered from the caches again: Redis is in use, and holds the new values.
      for (const read of [page, list, profile]) {
        await read();
        expect((await read()).headers.get("cache-status")).toMatch(/; hit/);
      }
      expect([(await page()).body.priceCents, listed((await list()).body), (await profile()).body.address]).toEqual([
        price,
        price,
        "2 Thaw Rd",
      ]);
      // And the outboxes drained: the relays delivered what the fast paths could not.
      const left = async () =>
        Number(
          (
            await sys.db.query<{ n: number }>(
              "SELECT (SELECT count(*) FROM shop.outbox) + (SELECT count(*) FROM crm.outbox) AS n",
            )
          )[0]?.n,
        );
      await until(async () => (await left()) === 0, 10_000, "outboxes drained");
    });
  });
}
