import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ProductChanged, ProductDetailSchema, ProductPageSchema } from "@printfab/contracts";
import { box, MeshPool, toBinaryStl } from "@printfab/mesh";
import {
  type CacheFactory,
  cacheTtls,
  createAuth,
  createCacheFactory,
  createHttpApp,
  createLogger,
  createPgliteDriver,
  Database,
  type HttpApp,
  JSON_CONTENT_TYPE,
  loadConfig,
  makeAjv,
  migrate,
  OutboxRelay,
  type Role,
  readMigrations,
} from "@printfab/platform";
import { createFilesystemStore } from "@printfab/storage";
import { TEST_SERVICE_ENV } from "@printfab/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CatalogueReads } from "../src/catalogue-reads.ts";
import { CatalogueWrites } from "../src/catalogue-writes.ts";
import { ModelCatalog } from "../src/model-catalog.ts";
import { ProductStore } from "../src/product-store.ts";
import { productRoutes } from "../src/routes/products.ts";
import { SHOP_SCHEMA, shopMigrationsDir } from "../src/shop-app.ts";

/**
 * The catalogue's routes alone, in process and in memory: PGlite, the in-process cache, a folder as the
 * object store. The real services over PostgreSQL, Redis and S3 are in shop-routes.test.ts.
 */
const auth = createAuth("shop-product-routes-test-secret");
const logger = createLogger("silent");
let app: HttpApp;
let db: Database;
let caches: CacheFactory;
let meshPool: MeshPool;
let objectsDir: string;

const token = (role: Role) => auth.sign({ role, sub: role === "customer" ? "1" : `${role}-1` });
const call = (method: "GET" | "POST" | "PATCH", url: string, init: { role?: Role; body?: unknown } = {}) =>
  app.inject({
    method,
    url,
    headers: init.role ? { authorization: `Bearer ${token(init.role)}` } : {},
    ...(init.body === undefined ? {} : { payload: init.body as object }),
  });
const NOT_MANAGERS: Role[] = ["customer", "operator", "service"];
const gear = { name: "Spur gear", category: "gears", material: "PETG", priceCents: 1200 };

beforeAll(async () => {
  objectsDir = await mkdtemp(join(tmpdir(), "shop-product-routes-"));
  db = new Database(await createPgliteDriver(undefined), "shop");
  await migrate(db, SHOP_SCHEMA, await readMigrations(shopMigrationsDir));
  const store = createFilesystemStore(objectsDir);
  await store.ensureReady();
  await store.put("models/cube.stl", toBinaryStl(box(10, 10, 10)), { contentType: "application/octet-stream" });
  const config = loadConfig({ ...TEST_SERVICE_ENV, CACHE_NAMESPACE: `t${randomBytes(4).toString("hex")}` });
  caches = await createCacheFactory(config, logger);
  meshPool = new MeshPool({ threads: 1 });
  const products = new ProductStore(db);
  const models = new ModelCatalog(store, meshPool);
  app = await createHttpApp({ service: "shop", description: "products under test", logger, auth });
  const catalogue = await CatalogueReads.create(caches, cacheTtls(config.ttl), products, models);
  const outbox = new OutboxRelay<ProductChanged>({
    db,
    service: "shop",
    deliver: (e) => catalogue.productChanged(e),
    logger,
  });
  await app.register(productRoutes, { auth, catalogue, writes: new CatalogueWrites(products, models, outbox) });
  for (let i = 1; i <= 3; i++) await products.createProduct({ ...gear, name: `Gear ${i}`, material: "PLA" }, null);
  // Those events were recorded with no one to deliver them: nothing was cached yet.
  await db.query("DELETE FROM shop.outbox");
});
afterAll(async () => {
  await app.close();
  await caches.close();
  await meshPool.close();
  await db.close();
  await rm(objectsDir, { recursive: true, force: true });
});

describe("GET /products", () => {
  it("pages through the catalogue for anyone, from the cache the second time, with an ETag", async () => {
    for (const role of [undefined, "customer", "manager"] as const) {
      const res = await call("GET", "/products?limit=2&offset=1", { role });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ total: 3, limit: 2, offset: 1, items: [{ id: 2 }, { id: 3 }] });
      expect(res.headers["cache-status"]).toMatch(role ? /^shop; hit/ : /^shop; fwd=miss; stored/);
    }
    const etag = (await call("GET", "/products?limit=2&offset=1")).headers.etag as string;
    const again = await app.inject({ url: "/products?limit=2&offset=1", headers: { "if-none-match": etag } });
    expect(again.statusCode).toBe(304);
  });

  it("refuses bad query strings with 400", async () => {
    for (const q of ["limit=0", "offset=-1", "category=Not%20A%20Slug", "q=", "sort=price"]) {
      expect((await call("GET", `/products?${q}`)).statusCode, q).toBe(400);
    }
  });
});

describe("GET /products/:id", () => {
  it("shows a product to anyone; 404 for an unknown id, 400 for a malformed one", async () => {
    for (const role of [undefined, "customer", "operator"] as const) {
      const res = await call("GET", "/products/2", { role });
      expect([res.statusCode, res.json().name, res.json().model]).toEqual([200, "Gear 2", null]);
    }
    expect((await call("GET", "/products/999")).statusCode).toBe(404);
    expect((await call("GET", "/products/two")).statusCode).toBe(400);
  });
});

describe("POST /products", () => {
  it("adds a product for a manager, with the model its key names, and shows it at once", async () => {
    const res = await call("POST", "/products", { role: "manager", body: { ...gear, modelKey: "models/cube.stl" } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ ...gear, modelKey: "models/cube.stl", modelSha256: expect.any(String) });
    const shown = (await call("GET", `/products/${res.json().id}`)).json();
    expect(shown.model).toMatchObject({ format: "stl", measurements: { triangleCount: 12, watertight: true } });
    expect((await call("GET", "/products")).json().total).toBe(4);
  });

  it("refuses bad input, a key that holds no model, and everyone but a manager", async () => {
    const post = (body: unknown, role?: Role) => call("POST", "/products", { role, body });
    expect((await post({ ...gear, priceCents: -1 }, "manager")).statusCode).toBe(400);
    expect((await post({ ...gear, isAdmin: true }, "manager")).statusCode).toBe(400);
    expect((await post({ ...gear, modelKey: "models/none.stl" }, "manager")).statusCode).toBe(422);
    expect((await post(gear)).statusCode).toBe(401);
    for (const role of NOT_MANAGERS) expect((await post(gear, role)).statusCode, role).toBe(403);
  });
});

describe("PATCH /products/:id", () => {
  it("changes a product for a manager, and the cached page and list follow", async () => {
    expect((await call("GET", "/products/1")).json().priceCents).toBe(1200);
    const res = await call("PATCH", "/products/1", { role: "manager", body: { priceCents: 999 } });
    expect([res.statusCode, res.json().priceCents]).toEqual([200, 999]);
    expect((await call("GET", "/products/1")).json().priceCents).toBe(999);
    expect((await call("GET", "/products?limit=1")).json().items[0].priceCents).toBe(999);
    // The fast path delivered the change's event: nothing is left for the relay.
    expect((await db.query<{ n: number }>("SELECT count(*) AS n FROM shop.outbox"))[0]?.n).toBe(0);
  });

  it("refuses an empty or bad patch, an unknown id, and everyone but a manager", async () => {
    const patch = (id: number, body: unknown, role?: Role) => call("PATCH", `/products/${id}`, { role, body });
    expect((await patch(1, {}, "manager")).statusCode).toBe(400);
    expect((await patch(1, { priceCents: 1.5 }, "manager")).statusCode).toBe(400);
    expect((await patch(999, { priceCents: 1 }, "manager")).statusCode).toBe(404);
    expect((await patch(1, { priceCents: 1 })).statusCode).toBe(401);
    for (const role of NOT_MANAGERS) expect((await patch(1, { priceCents: 1 }, role)).statusCode, role).toBe(403);
    expect((await call("GET", "/products/1")).json().priceCents).toBe(999);
  });
});

/** What Fastify itself sends for `value` under a response schema: the reference the cached bytes must equal. */
async function serializedBy(schema: object, value: unknown): Promise<string> {
  const reference = await createHttpApp({ service: "reference", description: "schema serializer", logger });
  reference.post("/", { schema: { response: { 200: schema } } }, async (request) => request.body as never);
  try {
    return (await reference.inject({ method: "POST", url: "/", payload: value as object })).body;
  } finally {
    await reference.close();
  }
}

describe("the catalogue's cached bytes", () => {
  it("are what the routes' response schemas produce, match them, and are the same on a miss and a hit", async () => {
    const created = await call("POST", "/products", {
      role: "manager",
      body: { ...gear, modelKey: "models/cube.stl" },
    });
    const ajv = makeAjv(false);
    // The product page first: a list page's load fills the product pages of its rows.
    for (const [url, schema] of [
      [`/products/${created.json().id}`, ProductDetailSchema],
      ["/products?limit=50", ProductPageSchema],
    ] as const) {
      const miss = await call("GET", url);
      const hit = await call("GET", url);
      expect([miss.headers["cache-status"], hit.headers["cache-status"]], url).toEqual([
        expect.stringMatching(/^shop; fwd=miss; stored/),
        expect.stringMatching(/^shop; hit/),
      ]);
      for (const res of [miss, hit]) expect(res.headers["content-type"], url).toBe(JSON_CONTENT_TYPE);
      expect(hit.rawPayload.equals(miss.rawPayload), url).toBe(true);
      expect(ajv.validate(schema, hit.json()), url).toBe(true);
      expect(hit.body, url).toBe(await serializedBy(schema, hit.json()));
    }
  });
});
