import { fileURLToPath } from "node:url";
import type { ProductChanged } from "@printfab/contracts";
import { connectMes } from "@printfab/mes-client";
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
  type EventStreamOptions,
  type HttpApp,
  type Logger,
  type PlatformMetrics,
  registerServiceHealth,
} from "@printfab/platform";
import type { ObjectStore } from "@printfab/storage";
import { webDistDir } from "@printfab/web";
import { CatalogueReads } from "./catalogue-reads.ts";
import { CatalogueWrites } from "./catalogue-writes.ts";
import { ModelCatalog } from "./model-catalog.ts";
import { ModelFileReads } from "./model-file-reads.ts";
import { ShopOrderEvents } from "./order-events.ts";
import { OrderPlacement } from "./order-placement.ts";
import { OrderReads } from "./order-reads.ts";
import { ProductStore } from "./product-store.ts";
import { modelRoutes } from "./routes/models.ts";
import { orderEventRoutes, orderRoutes } from "./routes/orders.ts";
import { productRoutes } from "./routes/products.ts";
import { quoteRoutes } from "./routes/quotes.ts";

export const SHOP_SCHEMA = "shop";
export const shopMigrationsDir = fileURLToPath(new URL("../migrations", import.meta.url));

export interface ShopDeps {
  /** The process\'s metrics registry and the platform\'s metrics in it (a registry of its own when absent). */
  metrics?: PlatformMetrics;
  /** Client deadlines and limits (the configuration's defaults when absent). */
  edge?: EdgeSettings;
  caches: CacheFactory;
  ttl: Config["ttl"];
  /** Run the outbox relay in this instance (every Shop instance may). */
  relay?: { intervalMs: number };
  db: Database;
  auth: Auth;
  logger: Logger;
  objectStore: ObjectStore;
  mesUrl: string;
  neighbourTimeoutMs: number;
  meshPool: MeshPool;
  /** Largest 3D file accepted (413 above). */
  uploadLimitBytes: number;
  /** How long MES may take over a quote. */
  quoteTimeoutMs: number;
  /** The order event streams' heartbeat and limits (their defaults when absent). */
  eventStreams?: EventStreamOptions;
  /** Model files up to this size are cached whole, larger ones streamed (default 4 MiB). */
  modelCacheMaxBytes?: number;
}

/** Shop API: the public catalogue, and orders for customers. */
export async function createShopApp(deps: ShopDeps): Promise<HttpApp> {
  const { auth, caches, uploadLimitBytes } = deps;
  const app = await createHttpApp({
    service: "shop",
    description: "The public catalogue, and customers' orders.",
    logger: deps.logger,
    edge: deps.edge,
    metrics: deps.metrics,
    auth,
    caches,
    pages: { distDir: webDistDir, pages: { "/": "index.html", "/ops": "ops.html" } },
  });
  registerServiceHealth(app, "shop", deps, [
    { name: "objectStore", critical: false, check: () => deps.objectStore.check() },
  ]);
  acceptModelUploads(app);

  const ttl = cacheTtls(deps.ttl);
  const products = new ProductStore(deps.db);
  const models = new ModelCatalog(deps.objectStore, deps.meshPool);
  const catalogue = await CatalogueReads.create(caches, ttl, products, models);
  const outbox = createServiceOutbox(app, "shop", deps, (event: ProductChanged) => catalogue.productChanged(event));
  const mes = connectMes("shop", deps);

  await app.register(productRoutes, { auth, catalogue, writes: new CatalogueWrites(products, models, outbox) });
  const modelFiles = await ModelFileReads.create(caches, ttl, catalogue, models, deps.modelCacheMaxBytes);
  await app.register(modelRoutes, { auth, catalogue, models, modelFiles, uploadLimitBytes });
  await app.register(quoteRoutes, { quotes: mes.quotes, quoteTimeoutMs: deps.quoteTimeoutMs, uploadLimitBytes });
  const orderReads = await OrderReads.create(caches, ttl, mes.orders);
  await app.register(orderRoutes, { auth, placement: new OrderPlacement(products, mes.orders), reads: orderReads });
  const orderEvents = await ShopOrderEvents.create(app, caches, orderReads, deps.eventStreams);
  await app.register(orderEventRoutes, { auth, events: orderEvents });
  return app;
}
