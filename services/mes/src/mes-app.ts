import { fileURLToPath } from "node:url";
import type { OrderChanged } from "@printfab/contracts";
import type { MeshPool } from "@printfab/mesh";
import {
  type Auth,
  acceptModelUploads,
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
import { ModelReads } from "./model-reads.ts";
import { OrderReads } from "./order-reads.ts";
import { OrderStore } from "./order-store.ts";
import { OrderWrites } from "./order-writes.ts";
import { modelRoutes } from "./routes/models.ts";
import { orderRoutes } from "./routes/orders.ts";

export const MES_SCHEMA = "mes";
export const mesMigrationsDir = fileURLToPath(new URL("../migrations", import.meta.url));

export interface MesDeps {
  /** The process\'s metrics registry and the platform\'s metrics in it (a registry of its own when absent). */
  metrics?: PlatformMetrics;
  /** Client deadlines and limits (the configuration's defaults when absent). */
  edge?: EdgeSettings;
  caches: CacheFactory;
  ttl: Config["ttl"];
  /** Run the outbox relay in this instance (every MES instance may). */
  relay?: { intervalMs: number };
  db: Database;
  auth: Auth;
  logger: Logger;
  meshPool: MeshPool;
  /** Largest 3D file accepted (413 above). */
  uploadLimitBytes: number;
}

/** MES API: the production queue and the order status lifecycle. */
export async function createMesApp(deps: MesDeps): Promise<HttpApp> {
  const { auth, caches } = deps;
  const app = await createHttpApp({
    service: "mes",
    description: "Production: the order queue and the order status lifecycle.",
    logger: deps.logger,
    edge: deps.edge,
    metrics: deps.metrics,
    auth,
    caches,
  });
  registerServiceHealth(app, "mes", deps);
  acceptModelUploads(app);

  const ttl = cacheTtls(deps.ttl);
  const store = new OrderStore(deps.db);
  const reads = await OrderReads.create(caches, ttl, store);
  const outbox = createServiceOutbox(app, "mes", deps, (event: OrderChanged) => reads.orderChanged(event));

  await app.register(orderRoutes, { auth, reads, writes: new OrderWrites(store, outbox) });
  await app.register(modelRoutes, {
    auth,
    models: await ModelReads.create(caches, ttl, deps.meshPool),
    uploadLimitBytes: deps.uploadLimitBytes,
  });
  return app;
}
