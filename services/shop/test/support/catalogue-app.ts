import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProductChanged } from "@printfab/contracts";
import { MeshPool } from "@printfab/mesh";
import {
  acceptModelUploads,
  cacheTtls,
  createAuth,
  createCacheFactory,
  createHttpApp,
  createLogger,
  createPgliteDriver,
  Database,
  type HttpApp,
  loadConfig,
  migrate,
  OutboxRelay,
  type Role,
  readMigrations,
} from "@printfab/platform";
import { createFilesystemStore, type ObjectStore, objectStoreRequests } from "@printfab/storage";
import { TEST_SERVICE_ENV } from "@printfab/testkit";
import { Registry } from "prom-client";
import { CatalogueReads } from "../../src/catalogue-reads.ts";
import { CatalogueWrites } from "../../src/catalogue-writes.ts";
import { ModelCatalog } from "../../src/model-catalog.ts";
import { ModelFileReads } from "../../src/model-file-reads.ts";
import { ProductStore } from "../../src/product-store.ts";
import { modelRoutes } from "../../src/routes/models.ts";
import { productRoutes } from "../../src/routes/products.ts";
import { SHOP_SCHEMA, shopMigrationsDir } from "../../src/shop-app.ts";

export interface CatalogueApp {
  app: HttpApp;
  db: Database;
  store: ObjectStore;
  products: ProductStore;
  models: ModelCatalog;
  token(role: Role): string;
  /** Requests the store received so far, by operation. */
  storeRequests(op: "get" | "head"): Promise<number>;
  close(): Promise<void>;
}

/**
 * The catalogue's routes (products, categories, models) alone, in process: PGlite, the in-process cache,
 * a folder as the object store. The real services over PostgreSQL, Redis and S3 are in tests/system.
 */
export async function startCatalogueApp(options: { modelCacheMaxBytes?: number } = {}): Promise<CatalogueApp> {
  const auth = createAuth("shop-catalogue-app-test-secret");
  const logger = createLogger("silent");
  const objectsDir = await mkdtemp(join(tmpdir(), "shop-catalogue-app-"));
  const db = new Database(await createPgliteDriver(undefined), "shop");
  await migrate(db, SHOP_SCHEMA, await readMigrations(shopMigrationsDir));
  const registry = new Registry();
  const store = createFilesystemStore(objectsDir, objectStoreRequests(registry));
  await store.ensureReady();
  const config = loadConfig({ ...TEST_SERVICE_ENV, CACHE_NAMESPACE: `t${randomBytes(4).toString("hex")}` });
  const caches = await createCacheFactory(config, logger);
  const meshPool = new MeshPool({ threads: 1 });
  const products = new ProductStore(db);
  const models = new ModelCatalog(store, meshPool);
  const ttl = cacheTtls(config.ttl);
  const catalogue = await CatalogueReads.create(caches, ttl, products, models);
  const modelFiles = await ModelFileReads.create(caches, ttl, catalogue, models, options.modelCacheMaxBytes);
  const outbox = new OutboxRelay<ProductChanged>({
    db,
    service: "shop",
    deliver: (e) => catalogue.productChanged(e),
    logger,
  });
  const app = await createHttpApp({ service: "shop", description: "catalogue under test", logger, auth });
  acceptModelUploads(app);
  await app.register(productRoutes, { auth, catalogue, writes: new CatalogueWrites(products, models, outbox) });
  await app.register(modelRoutes, { auth, catalogue, models, modelFiles, uploadLimitBytes: 8 * 1024 * 1024 });
  return {
    app,
    db,
    store,
    products,
    models,
    token: (role) => auth.sign({ role, sub: role === "customer" ? "1" : `${role}-1` }),
    storeRequests: async (op) =>
      (await registry.getSingleMetric("object_store_requests_total")?.get())?.values.find((v) => v.labels.op === op)
        ?.value ?? 0,
    async close() {
      await app.close();
      await caches.close();
      await meshPool.close();
      await db.close();
      await rm(objectsDir, { recursive: true, force: true });
    },
  };
}
