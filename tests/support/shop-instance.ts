import type { AddressInfo } from "node:net";
import { createServiceApp, openInfrastructure } from "@printfab/launcher";
import { type CacheFactory, createLogger, loadConfig } from "@printfab/platform";

export interface ShopInstance {
  url: string;
  /** Its own caches: its own L1, bus, breaker and journal, as a second process would have. */
  caches: CacheFactory;
  stop(): Promise<void>;
}

/**
 * One more Shop with infrastructure of its own (connections, caches, mesh pool), as a second Shop process
 * behind a load balancer: the test system's three services share one infrastructure, so they are one
 * process as far as the cache is concerned. `env` names the same database, store and Redis (or a proxy in
 * front of it), the same cache namespace, and MES_URL.
 */
export async function startShopInstance(env: Record<string, string>): Promise<ShopInstance> {
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel);
  const infra = await openInfrastructure(config, logger);
  try {
    const app = await createServiceApp("shop", config, infra, logger);
    await app.listen({ port: 0, host: "127.0.0.1" });
    return {
      url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
      caches: infra.caches,
      async stop() {
        await app.close();
        await infra.close();
      },
    };
  } catch (err) {
    await infra.close();
    throw err;
  }
}
