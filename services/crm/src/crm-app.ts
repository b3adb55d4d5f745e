import { fileURLToPath } from "node:url";
import type { CustomerChanged } from "@printfab/contracts";
import { connectMes } from "@printfab/mes-client";
import {
  type Auth,
  type CacheFactory,
  type Config,
  cacheTtls,
  createHttpApp,
  createServiceOutbox,
  type Database,
  type EdgeSettings,
  type HttpApp,
  type Logger,
  type PlatformMetrics,
  registerServiceHealth,
} from "@printfab/platform";
import { webDistDir } from "@printfab/web";
import { CustomerReads } from "./customer-reads.ts";
import { CustomerStore } from "./customer-store.ts";
import { CustomerWrites } from "./customer-writes.ts";
import { OrderReads } from "./order-reads.ts";
import { customerRoutes } from "./routes/customers.ts";
import { orderRoutes } from "./routes/orders.ts";

export const CRM_SCHEMA = "crm";
export const crmMigrationsDir = fileURLToPath(new URL("../migrations", import.meta.url));

export interface CrmDeps {
  /** The process\'s metrics registry and the platform\'s metrics in it (a registry of its own when absent). */
  metrics?: PlatformMetrics;
  /** Client deadlines and limits (the configuration's defaults when absent). */
  edge?: EdgeSettings;
  caches: CacheFactory;
  ttl: Config["ttl"];
  /** Run the outbox relay in this instance (every CRM instance may). */
  relay?: { intervalMs: number };
  db: Database;
  auth: Auth;
  logger: Logger;
  mesUrl: string;
  neighbourTimeoutMs: number;
}

/** CRM API: customers and their orders, for managers (and each customer's own profile). */
export async function createCrmApp(deps: CrmDeps): Promise<HttpApp> {
  const { auth, caches } = deps;
  const app = await createHttpApp({
    service: "crm",
    description: "Customers and their orders, for managers.",
    logger: deps.logger,
    edge: deps.edge,
    metrics: deps.metrics,
    auth,
    caches,
    pages: { distDir: webDistDir, pages: { "/ops": "ops.html" } },
  });
  registerServiceHealth(app, "crm", deps);

  const ttl = cacheTtls(deps.ttl);
  const store = new CustomerStore(deps.db);
  const customers = await CustomerReads.create(caches, ttl, store);
  const outbox = createServiceOutbox(app, "crm", deps, (event: CustomerChanged) => customers.customerChanged(event));
  const orders = await OrderReads.create(caches, ttl, connectMes("crm", deps).orders);

  await app.register(customerRoutes, { auth, customers, writes: new CustomerWrites(store, outbox) });
  await app.register(orderRoutes, { auth, customers, orders });
  return app;
}
