import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CACHE_PREFIX } from "@printfab/contracts";
import { box, MeshPool, toBinaryStl } from "@printfab/mesh";
import {
  type CacheFactory,
  cacheTtls,
  createCacheFactory,
  createLogger,
  createPgliteDriver,
  Database,
  loadConfig,
  migrate,
  readMigrations,
} from "@printfab/platform";
import { createFilesystemStore } from "@printfab/storage";
import { TEST_REDIS_URL, TEST_SERVICE_ENV } from "@printfab/testkit";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CatalogueReads } from "../src/catalogue-reads.ts";
import { ModelCatalog } from "../src/model-catalog.ts";
import { ProductStore } from "../src/product-store.ts";
import { SHOP_SCHEMA, shopMigrationsDir } from "../src/shop-app.ts";

/**
 * The catalogue's representations on a real Redis, read by two "processes" (a cache factory each: their
 * own L1, bus and connections, one namespace): what one stores, the other sends byte for byte.
 */
const logger = createLogger("silent");
let db: Database;
let meshPool: MeshPool;
let objectsDir: string;
let factories: CacheFactory[];
let one: CatalogueReads;
let other: CatalogueReads;
let products: ProductStore;
let plain: number;
let withModel: number;
const query = { category: "gears", limit: 20, offset: 0 };

beforeAll(async () => {
  objectsDir = await mkdtemp(join(tmpdir(), "shop-catalogue-reads-"));
  db = new Database(await createPgliteDriver(undefined), "shop");
  await migrate(db, SHOP_SCHEMA, await readMigrations(shopMigrationsDir));
  const store = createFilesystemStore(objectsDir);
  await store.ensureReady();
  await store.put("models/cube.stl", toBinaryStl(box(10, 10, 10)), { contentType: "application/octet-stream" });
  meshPool = new MeshPool({ threads: 1 });
  products = new ProductStore(db);
  const models = new ModelCatalog(store, meshPool);
  const config = loadConfig({
    ...TEST_SERVICE_ENV,
    REDIS_URL: TEST_REDIS_URL,
    CACHE_NAMESPACE: `t${randomBytes(5).toString("hex")}`,
  });
  factories = [await createCacheFactory(config, logger), await createCacheFactory(config, logger)];
  [one, other] = (await Promise.all(
    factories.map((f) => CatalogueReads.create(f, cacheTtls(config.ttl), products, models)),
  )) as [CatalogueReads, CatalogueReads];
  const gear = { name: "Spur gear", category: "gears", material: "PLA" as const, priceCents: 1200 };
  plain = (await products.createProduct(gear, null)).value.id;
  const sha = await models.attach("models/cube.stl");
  withModel = (await products.createProduct({ ...gear, modelKey: "models/cube.stl" }, sha)).value.id;
});
afterAll(async () => {
  for (const f of factories) await f.close();
  await meshPool.close();
  await db.close();
  await rm(objectsDir, { recursive: true, force: true });
});

describe("CatalogueReads", () => {
  it("stores a list page and a product page once; another process sends the same bytes and ETag from L2", async () => {
    for (const read of [() => one.getProduct(withModel), () => one.listProducts(query)]) {
      const stored = await read();
      expect([stored.status, stored.stored]).toEqual(["miss", true]);
    }
    const pairs = [
      [await one.listProducts(query), await other.listProducts(query)],
      [await one.getProduct(withModel), await other.getProduct(withModel)],
    ];
    for (const [mine, theirs] of pairs) {
      expect([theirs?.status, theirs?.layer]).toEqual(["hit", "l2"]);
      expect(theirs?.value?.etag).toBe(mine?.value?.etag);
      expect(theirs?.value?.body.equals(mine?.value?.body as Buffer)).toBe(true);
    }
    const page = JSON.parse((await other.listProducts(query)).value.body.toString());
    expect(page).toMatchObject({ total: 2, limit: 20, offset: 0, items: [{ id: plain }, { id: withModel }] });
    expect((await other.getProduct(withModel)).layer).toBe("l1");
    expect((await one.getProduct(999_999)).value).toBeNull();
  });

  it("a list page's load fills its rows' product pages, with the bytes a product page's own load makes", async () => {
    const direct = (await one.getProduct(plain)).value?.body;
    await one.productChanged({ type: "product.changed", id: plain });
    const q = { ...query, limit: 5 };
    expect((await other.listProducts(q)).status).toBe("miss");
    const loads = vi.spyOn(products, "getProduct");
    try {
      for (const reader of [other, one]) {
        const page = await reader.getProduct(plain);
        expect(page.status).toBe("hit");
        expect(page.value?.body.equals(direct as Buffer)).toBe(true);
      }
      expect(loads).not.toHaveBeenCalled();
    } finally {
      loads.mockRestore();
    }
  });

  it("finds a product's preview by the model hash on its page; none for a product without a model", async () => {
    const page = async (id: number) => (await one.getProduct(id)).value ?? expect.unreachable();
    const preview = await one.modelPreview(await page(withModel), 64);
    expect(preview?.value.etag).toMatch(/^"[0-9a-f]{64}-64"$/);
    expect(preview?.value.body.subarray(1, 4).toString()).toBe("PNG");
    expect(await one.modelPreview(await page(plain), 64)).toBeNull();
  });

  it("keys name the value's shape: the previous release's entry is never read, and a change drops it too", async () => {
    const previous = await factories[0]?.create("previous_release", CACHE_PREFIX.shopCatalogue, { l1MaxBytes: 0 });
    if (!previous) throw new Error("no cache factory");
    await previous.set(`product:${plain}`, { etag: '"old"', data: { id: plain, name: "old shape" } });
    const current = (await one.getProduct(plain)).value;
    expect(current?.etag).not.toBe('"old"');
    expect(JSON.parse(current?.body.toString() ?? "null")).toMatchObject({ id: plain, name: "Spur gear" });
    await one.productChanged({ type: "product.changed", id: plain });
    expect((await previous.fetch(`product:${plain}`, async () => "reloaded")).value).toBe("reloaded");
    expect((await one.getProduct(plain)).status).toBe("miss");
  });
});
