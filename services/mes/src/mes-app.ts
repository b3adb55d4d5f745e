import { fileURLToPath } from "node:url";
import { type NewOrder, type OrderChanged, SLICEABLE_MATERIALS } from "@printfab/contracts";
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
  meshTask,
  type PlatformMetrics,
  registerServiceHealth,
} from "@printfab/platform";
import type { ObjectStore } from "@printfab/storage";
import { webDistDir } from "@printfab/web";
import { ModelReads } from "./model-reads.ts";
import { OrderEvents } from "./order-events.ts";
import { OrderReads } from "./order-reads.ts";
import { OrderStore } from "./order-store.ts";
import { OrderWrites } from "./order-writes.ts";
import { modelRoutes } from "./routes/models.ts";
import { orderEventRoutes, orderRoutes } from "./routes/orders.ts";
import { sliceRoutes } from "./routes/slices.ts";
import { createSlicing, type SlicingSettings } from "./slicing/create-slicing.ts";

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
  /** The order event streams' heartbeat and limits (their defaults when absent). */
  eventStreams?: EventStreamOptions;
  /** Where G-code of slices is kept (and stored models are read from). */
  objectStore: ObjectStore;
  /** The slicer, its pool and limits, the printer (defaults when absent; docs/slicing.md). */
  slicing?: SlicingSettings;
}

const isSliceable = (m: string): m is (typeof SLICEABLE_MATERIALS)[number] =>
  (SLICEABLE_MATERIALS as readonly string[]).includes(m);

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
    pages: { distDir: webDistDir, pages: { "/board": "board.html", "/ops": "ops.html" } },
  });
  registerServiceHealth(app, "mes", deps);
  acceptModelUploads(app);

  const ttl = cacheTtls(deps.ttl);
  const store = new OrderStore(deps.db);
  const reads = await OrderReads.create(caches, ttl, store);
  const events = await OrderEvents.create(app, caches, store, deps.eventStreams);
  const outbox = createServiceOutbox(app, "mes", deps, async (event: OrderChanged) => {
    await reads.orderChanged(event);
    await events.publish(event);
  });

  await app.register(orderEventRoutes, { auth, events });
  const models = await ModelReads.create(caches, ttl, deps.meshPool);
  const slicing = await createSlicing({
    caches,
    objects: deps.objectStore,
    analyze: async (model) => (await models.analysis(model)).value,
    geometry: (model) => meshTask(deps.meshPool.stl(model)),
    logger: deps.logger,
    analysisTtlMs: ttl.analysis,
    settings: deps.slicing,
  });
  app.addHook("onClose", async () => slicing.close());
  await app.register(modelRoutes, { auth, models, slices: slicing, uploadLimitBytes: deps.uploadLimitBytes });
  await app.register(sliceRoutes, { auth, slicing, uploadLimitBytes: deps.uploadLimitBytes });
  // An order's models are sliced as soon as it is placed: production planning gets real print times.
  const sliceItems = (order: NewOrder) => {
    const items = order.items.flatMap(({ modelKey, material = "PLA" }) =>
      modelKey && isSliceable(material) ? [{ modelKey, material }] : [],
    );
    if (items.length > 0) slicing.sliceOrder(items);
  };
  await app.register(orderRoutes, { auth, reads, writes: new OrderWrites(store, outbox, sliceItems) });
  return app;
}
