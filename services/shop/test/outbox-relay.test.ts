import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Product, ProductChanged, ProductPage } from "@printfab/contracts";
import { MeshPool } from "@printfab/mesh";
import {
  type CacheFactory,
  cacheTtls,
  createCacheFactory,
  createLogger,
  createPostgresDriver,
  Database,
  loadConfig,
  migrate,
  OutboxRelay,
  type Representation,
  readMigrations,
} from "@printfab/platform";
import { createFilesystemStore } from "@printfab/storage";
import { createTestDatabase, TEST_REDIS_URL, TEST_SERVICE_ENV, type TestDatabase } from "@printfab/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CatalogueReads } from "../src/catalogue-reads.ts";
import { ModelCatalog } from "../src/model-catalog.ts";
import { ProductStore } from "../src/product-store.ts";
import { SHOP_SCHEMA, shopMigrationsDir } from "../src/shop-app.ts";

/**
 * The Shop's outbox on real PostgreSQL and Redis: a product change commits with its event, and the process
 * "dies" before the fast path runs (the store is called directly, as the writes layer would before it).
 */
let database: TestDatabase;
let db: Database;
let caches: CacheFactory;
let meshPool: MeshPool;
let objectsDir: string;
let products: ProductStore;
let catalogue: CatalogueReads;
let relay: OutboxRelay<ProductChanged>;
const gear = { name: "Spur gear", category: "gears", material: "PETG" as const, priceCents: 1200 };

beforeAll(async () => {
  database = await createTestDatabase();
  db = new Database(createPostgresDriver(database.url, 2), "shop");
  await migrate(db, SHOP_SCHEMA, await readMigrations(shopMigrationsDir));
  const config = loadConfig({
    ...TEST_SERVICE_ENV,
    REDIS_URL: TEST_REDIS_URL,
    CACHE_NAMESPACE: `t${randomBytes(5).toString("hex")}`,
  });
  const logger = createLogger("silent");
  caches = await createCacheFactory(config, logger);
  objectsDir = await mkdtemp(join(tmpdir(), "shop-outbox-"));
  meshPool = new MeshPool({ threads: 1 });
  products = new ProductStore(db);
  const models = new ModelCatalog(createFilesystemStore(objectsDir), meshPool);
  catalogue = await CatalogueReads.create(caches, cacheTtls(config.ttl), products, models);
  relay = new OutboxRelay<ProductChanged>({ db, service: "shop", deliver: (e) => catalogue.productChanged(e), logger });
});
afterAll(async () => {
  await caches.close();
  await meshPool.close();
  await db.close();
  await database.drop();
  await rm(objectsDir, { recursive: true, force: true });
});

/** The JSON a cached representation sends. */
const sent = <T>(r: Representation | null): T | undefined => (r ? (JSON.parse(r.body.toString()) as T) : undefined);

/** The product's price on its page and on its category's list page, through the cache. */
const prices = async (id: number) => [
  sent<Product>((await catalogue.getProduct(id)).value)?.priceCents,
  sent<ProductPage>((await catalogue.listProducts({ category: "gears", limit: 100, offset: 0 })).value)?.items.find(
    (p) => p.id === id,
  )?.priceCents,
];

describe("a crash between commit and invalidation", () => {
  it("leaves the product's page and list page stale until a relay pass delivers the event", async () => {
    const { value: product } = await products.createProduct(gear, null);
    expect(await relay.runOnce()).toBe(1);
    expect(await prices(product.id)).toEqual([1200, 1200]);
    expect((await catalogue.getProduct(product.id)).status).toBe("hit");

    await products.updateProduct(product.id, { priceCents: 1300 });
    // Committed, not delivered: both pages still answer the old price (for their TTL, 600 s and 300 s).
    expect(await prices(product.id)).toEqual([1200, 1200]);
    // A relay starting afterwards (another Shop instance, or this one restarted) delivers it.
    expect(await relay.runOnce()).toBe(1);
    expect(await prices(product.id)).toEqual([1300, 1300]);
    expect((await db.query<{ n: number }>("SELECT count(*) AS n FROM shop.outbox"))[0]?.n).toBe(0);
  });

  it("forgets a created product's remembered 'not found' once the relay delivers its creation", async () => {
    const [last] = await db.query<{ n: number }>("SELECT max(id) AS n FROM shop.products");
    const next = Number(last?.n) + 1;
    expect((await catalogue.getProduct(next)).value).toBeNull();
    await products.createProduct({ ...gear, name: "Idler gear" }, null);
    expect((await catalogue.getProduct(next)).value).toBeNull();
    expect(await relay.runOnce()).toBe(1);
    expect(sent<Product>((await catalogue.getProduct(next)).value)?.name).toBe("Idler gear");
  });
});
