import { freePort, type Haproxy, requestQueries, ServiceProcess, startAll, startHaproxy } from "@printfab/testkit";
import { scrape, sum } from "../system/metrics-scrape.ts";

/** N Shop processes over one database, Redis and cache namespace, behind deploy/haproxy/haproxy.cfg. */
export interface ShopTier {
  /** HAProxy's Shop frontend. */
  url: string;
  shops: ServiceProcess[];
  /** The Shops' database queries for requests (not health checks), summed over the instances. */
  queries(): Promise<number>;
  /** The Shops' counters the bench reads around a load, summed over the instances. */
  counters(): Promise<TierCounters>;
  stop(): Promise<void>;
}

export interface TierCounters {
  cpuSeconds: number;
  /** Catalogue lookups answered from the instance's own L1. */
  l1Hits: number;
  /** Catalogue lookups, whatever answered them. */
  lookups: number;
}

export async function startShopTier(n: number, env: Record<string, string>): Promise<ShopTier> {
  const shops: ServiceProcess[] = [];
  for (let i = 1; i <= n; i++) shops.push(ServiceProcess.of("shop", await freePort(), env, `shop${i}`));
  await startAll(shops);
  let haproxy: Haproxy;
  try {
    haproxy = await startHaproxy({ instances: { shop: shops.map((s) => s.address) } });
  } catch (err) {
    await Promise.all(shops.map((s) => s.stop()));
    throw err;
  }
  return {
    url: haproxy.urls.shop as string,
    shops,
    queries: () => requestQueries(shops, "shop"),
    async counters() {
      const all = await Promise.all(shops.map((s) => scrape(s.url)));
      const total = (prefix: string, ...filters: string[]) =>
        all.reduce((acc, m) => acc + sum(m, prefix, ...filters), 0);
      return {
        cpuSeconds: total("process_cpu_seconds_total"),
        l1Hits: total("cache_requests_total", 'cache="shop_catalogue"', 'result="hit_l1"'),
        lookups: total("cache_requests_total", 'cache="shop_catalogue"'),
      };
    },
    async stop() {
      await haproxy.stop();
      await Promise.all(shops.map((s) => s.stop()));
    },
  };
}
