import { fileURLToPath } from "node:url";
import {
  MesOrdersClient,
  ModelBodySchema,
  ModelMetadataSchema,
  modelBytes,
  NewProductSchema,
  OrderSchema,
  ProductPageSchema,
  ProductPatchSchema,
  ProductSchema,
  QuoteQuerySchema,
  QuoteSchema,
} from "@printfab/contracts";
import { type MeshPool, PREVIEW_SIZES } from "@printfab/mesh";
import {
  AppError,
  type Auth,
  acceptModelUploads,
  bearer,
  type CacheFactory,
  type Config,
  cacheStatus,
  createHttpApp,
  createNeighbourClient,
  type Database,
  databaseHealthCheck,
  type EdgeSettings,
  errorResponses,
  type HealthCheck,
  type HttpApp,
  Id,
  IdParams,
  type Logger,
  notFound,
  Pagination,
  PRIVATE_CACHE_CONTROL,
  principalOf,
  registerHealth,
  replyFromCache,
  replyPrivate,
  requireRole,
  serviceToken,
  unprocessable,
} from "@printfab/platform";
import type { ObjectStore } from "@printfab/storage";
import { type Static, Type } from "typebox";
import { CatalogueReads } from "./catalogue-reads.ts";
import { ModelCatalog } from "./model-catalog.ts";
import { OrderReads } from "./order-reads.ts";
import { ProductStore } from "./product-store.ts";

export const SHOP_SCHEMA = "shop";

const NotModified = Type.Null({ description: "not modified: the If-None-Match ETag is current" });
export const shopMigrationsDir = fileURLToPath(new URL("../migrations", import.meta.url));

export interface ShopDeps {
  /** Client deadlines and limits (the configuration\'s defaults when absent). */
  edge?: EdgeSettings;
  caches: CacheFactory;
  ttl: Config["ttl"];
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
}

/** Shop API: the public catalogue, and orders for customers. */
export async function createShopApp(deps: ShopDeps): Promise<HttpApp> {
  const app = await createHttpApp({
    service: "shop",
    description: "The public catalogue, and customers' orders.",
    logger: deps.logger,
    edge: deps.edge,
    auth: deps.auth,
    caches: deps.caches,
  });
  const products = new ProductStore(deps.db);
  const models = new ModelCatalog(deps.objectStore, deps.meshPool);
  const mes = createNeighbourClient({
    name: "MES",
    baseUrl: deps.mesUrl,
    timeoutMs: deps.neighbourTimeoutMs,
    token: serviceToken(deps.auth, "shop"),
  });
  const mesOrders = new MesOrdersClient(mes);
  const catalogue = await CatalogueReads.create(deps.caches, deps.ttl, products, models);
  const orderReads = await OrderReads.create(deps.caches, deps.ttl, mesOrders);
  // Invalidation runs after the commit; if Redis is down the engine keeps it and replays it on recovery.
  const productChanged = (id?: number) =>
    catalogue
      .productChanged(id)
      .catch((err) => app.log.warn({ err: (err as Error).message }, "product invalidation deferred"));
  acceptModelUploads(app);
  const upload = { bodyLimit: deps.uploadLimitBytes, config: { upload: true } };
  const objectStoreCheck: HealthCheck = { name: "objectStore", critical: false, check: () => deps.objectStore.check() };
  const redisCheck = deps.caches.healthCheck();
  registerHealth(app, "shop", [databaseHealthCheck(deps.db), objectStoreCheck, ...(redisCheck ? [redisCheck] : [])], {
    revealDetails: (request) => app.admin.isAdmin(request),
  });
  const manager = requireRole(deps.auth, "manager");
  const customer = requireRole(deps.auth, "customer");

  app.get(
    "/products",
    {
      schema: {
        tags: ["catalogue"],
        summary: "A page of the catalogue, by category and full-text search",
        querystring: Type.Object(
          {
            ...Pagination,
            category: Type.Optional(Type.String({ pattern: "^[a-z0-9][a-z0-9-]{0,39}$" })),
            q: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: ProductPageSchema, 304: NotModified, ...errorResponses(400) },
      },
    },
    async (request, reply) => {
      const { limit, offset, category, q } = request.query;
      return replyFromCache(request, reply, "shop", await catalogue.listProducts({ limit, offset, category, q }));
    },
  );

  app.get(
    "/products/:id",
    {
      schema: {
        tags: ["catalogue"],
        summary: "One product, with its 3D model's metadata",
        params: IdParams,
        response: {
          200: Type.Intersect([ProductSchema, Type.Object({ model: Type.Union([ModelMetadataSchema, Type.Null()]) })]),
          304: NotModified,
          ...errorResponses(400, 404),
        },
      },
    },
    async (request, reply) => {
      const found = await catalogue.getProduct(request.params.id);
      if (!found.value) throw notFound(`product ${request.params.id}`);
      return replyFromCache(request, reply, "shop", { ...found, value: found.value });
    },
  );

  app.get(
    "/products/:id/preview.png",
    {
      schema: {
        tags: ["catalogue"],
        summary: "An isometric PNG preview of the product's model",
        params: IdParams,
        querystring: Type.Object(
          {
            size: Type.Integer({
              minimum: PREVIEW_SIZES.min,
              maximum: PREVIEW_SIZES.max,
              default: PREVIEW_SIZES.default,
            }),
          },
          { additionalProperties: false },
        ),
        produces: ["image/png"],
        response: {
          200: Type.Unsafe<Buffer>({ type: "string", format: "binary" }),
          304: NotModified,
          ...errorResponses(400, 404),
        },
      },
    },
    async (request, reply) => {
      const product = (await catalogue.getProduct(request.params.id)).value?.data;
      if (!product) throw notFound(`product ${request.params.id}`);
      const png = product.modelSha256 ? await catalogue.preview(product.modelSha256, request.query.size) : null;
      if (!png?.value) throw notFound(`a model of product ${request.params.id}`);
      // A preview is named by its content hash, so its ETag is that hash and it never changes.
      reply.type("image/png");
      reply.header("cache-status", cacheStatus("shop", png));
      reply.header("cache-control", "public, max-age=86400");
      const etag = `"${product.modelSha256}-${request.query.size}"`;
      reply.header("etag", etag);
      if (request.headers["if-none-match"] === etag) return reply.status(304).send(null);
      return png.value;
    },
  );

  app.post(
    "/models",
    {
      ...upload,
      onRequest: manager,
      schema: {
        tags: ["catalogue"],
        summary: "Upload a 3D model (manager); set it on a product with its modelKey",
        security: bearer,
        body: ModelBodySchema,
        response: { 201: ModelMetadataSchema, ...errorResponses(400, 401, 403, 413, 415, 422, 503) },
      },
    },
    async (request, reply) => {
      reply.status(201);
      return models.ingest(modelBytes(request.body));
    },
  );

  app.post(
    "/quotes",
    {
      ...upload,
      schema: {
        tags: ["quotes"],
        summary: "Instant quote: measurements and price of an uploaded 3D file (MES computes it)",
        querystring: QuoteQuerySchema,
        body: ModelBodySchema,
        response: { 200: QuoteSchema, ...errorResponses(400, 413, 415, 422, 502, 503, 504) },
      },
    },
    async (request) => {
      const bytes = modelBytes(request.body);
      const query = new URLSearchParams(
        Object.entries(request.query).map(([k, v]): [string, string] => [k, String(v)]),
      );
      const res = await mes.request<Static<typeof QuoteSchema>>("POST", `/quotes?${query}`, bytes, {
        timeoutMs: deps.quoteTimeoutMs,
      });
      // MES's own refusal of the file (422) or of its size (413) is the customer's to read.
      if (res.status === 422 || res.status === 413 || res.status === 503) {
        const error = (res.body as { error?: { code: string; message: string } }).error;
        const retryAfterS = res.status === 503 ? 2 : undefined;
        throw new AppError(
          res.status,
          error?.code ?? "invalid_model",
          error?.message ?? "MES refused the model",
          retryAfterS,
        );
      }
      if (res.status !== 200) throw new AppError(502, "neighbour_error", `MES refused a quote request (${res.status})`);
      return res.body;
    },
  );

  app.post(
    "/products",
    {
      onRequest: manager,
      schema: {
        tags: ["catalogue"],
        summary: "Add a product (manager)",
        security: bearer,
        body: NewProductSchema,
        response: { 201: ProductSchema, ...errorResponses(400, 401, 403, 413, 415) },
      },
    },
    async (request, reply) => {
      const sha = request.body.modelKey ? await models.attach(request.body.modelKey) : null;
      const product = await products.createProduct(request.body, sha);
      // Its id may have been asked for before it existed: the remembered "not found" goes too.
      await productChanged(product.id);
      reply.status(201);
      return product;
    },
  );

  app.patch(
    "/products/:id",
    {
      onRequest: manager,
      schema: {
        tags: ["catalogue"],
        summary: "Change a product (manager)",
        security: bearer,
        params: IdParams,
        body: ProductPatchSchema,
        response: { 200: ProductSchema, ...errorResponses(400, 401, 403, 404, 413, 415) },
      },
    },
    async (request) => {
      const { modelKey } = request.body;
      const sha = modelKey ? await models.attach(modelKey) : null;
      const product = await products.updateProduct(request.params.id, request.body, sha);
      if (!product) throw notFound(`product ${request.params.id}`);
      await productChanged(product.id);
      return product;
    },
  );

  app.post(
    "/orders",
    {
      onRequest: customer,
      schema: {
        tags: ["orders"],
        summary: "Place an order (customer); prices are the catalogue's at this moment",
        security: bearer,
        body: Type.Object(
          {
            items: Type.Array(
              Type.Object(
                { productId: Id, quantity: Type.Integer({ minimum: 1, maximum: 1000 }) },
                { additionalProperties: false },
              ),
              { minItems: 1, maxItems: 50 },
            ),
          },
          { additionalProperties: false },
        ),
        response: { 201: OrderSchema, ...errorResponses(400, 401, 403, 413, 415, 422, 502, 504) },
      },
    },
    async (request, reply) => {
      const ids = [...new Set(request.body.items.map((i) => i.productId))];
      if (ids.length !== request.body.items.length) {
        throw unprocessable("duplicate_product", "each product may appear once; use quantity");
      }
      const found = await products.getProductsByIds(ids);
      const missing = ids.filter((id) => !found.has(id));
      if (missing.length > 0) throw unprocessable("unknown_product", `unknown product id(s): ${missing.join(", ")}`);
      const order = await mesOrders.placeOrder({
        customerId: Number(principalOf(request).sub),
        items: request.body.items.map((i) => {
          const p = found.get(i.productId) as NonNullable<ReturnType<typeof found.get>>;
          return { productId: p.id, productName: p.name, quantity: i.quantity, unitPriceCents: p.priceCents };
        }),
      });
      reply.status(201);
      return order;
    },
  );

  app.get(
    "/orders/:id",
    {
      onRequest: customer,
      schema: {
        tags: ["orders"],
        summary: "One of the customer's own orders, with its status",
        security: bearer,
        params: IdParams,
        response: { 200: OrderSchema, ...errorResponses(400, 401, 403, 404, 502, 504) },
      },
    },
    async (request, reply) => {
      const found = await orderReads.customerOrder(Number(principalOf(request).sub), request.params.id);
      // Another customer's order is answered exactly as a missing one: its existence is not revealed.
      if (!found.value) {
        reply.header("cache-control", PRIVATE_CACHE_CONTROL);
        throw notFound(`order ${request.params.id}`);
      }
      return replyPrivate(reply, "shop", { ...found, value: found.value });
    },
  );

  return app;
}
