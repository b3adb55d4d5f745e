import { fileURLToPath } from "node:url";
import {
  MesOrdersClient,
  NewProductSchema,
  OrderSchema,
  ProductPageSchema,
  ProductPatchSchema,
  ProductSchema,
} from "@printfab/contracts";
import {
  type Auth,
  bearer,
  createHttpApp,
  createNeighbourClient,
  type Database,
  databaseHealthCheck,
  errorResponses,
  type HealthCheck,
  type HttpApp,
  Id,
  IdParams,
  type Logger,
  notFound,
  Pagination,
  principalOf,
  registerHealth,
  requireRole,
  serviceToken,
  unprocessable,
} from "@printfab/platform";
import type { ObjectStore } from "@printfab/storage";
import { Type } from "typebox";
import { ProductStore } from "./product-store.ts";

export const SHOP_SCHEMA = "shop";
export const shopMigrationsDir = fileURLToPath(new URL("../migrations", import.meta.url));

export interface ShopDeps {
  db: Database;
  auth: Auth;
  logger: Logger;
  objectStore: ObjectStore;
  mesUrl: string;
  neighbourTimeoutMs: number;
}

/** Shop API: the public catalogue, and orders for customers. */
export async function createShopApp(deps: ShopDeps): Promise<HttpApp> {
  const app = await createHttpApp({
    service: "shop",
    description: "The public catalogue, and customers' orders.",
    logger: deps.logger,
  });
  const products = new ProductStore(deps.db);
  const mesOrders = new MesOrdersClient(
    createNeighbourClient({
      name: "MES",
      baseUrl: deps.mesUrl,
      timeoutMs: deps.neighbourTimeoutMs,
      token: serviceToken(deps.auth, "shop"),
    }),
  );
  const objectStoreCheck: HealthCheck = { name: "objectStore", critical: false, check: () => deps.objectStore.check() };
  registerHealth(app, "shop", [databaseHealthCheck(deps.db), objectStoreCheck]);
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
        response: { 200: ProductPageSchema, ...errorResponses(400) },
      },
    },
    async (request) => {
      const { limit, offset, category, q } = request.query;
      const page = await products.listProducts({ limit, offset, category, q });
      return { ...page, limit, offset };
    },
  );

  app.get(
    "/products/:id",
    {
      schema: {
        tags: ["catalogue"],
        summary: "One product",
        params: IdParams,
        response: { 200: ProductSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const product = await products.getProduct(request.params.id);
      if (!product) throw notFound(`product ${request.params.id}`);
      return product;
    },
  );

  app.post(
    "/products",
    {
      preHandler: manager,
      schema: {
        tags: ["catalogue"],
        summary: "Add a product (manager)",
        security: bearer,
        body: NewProductSchema,
        response: { 201: ProductSchema, ...errorResponses(400, 401, 403, 413, 415) },
      },
    },
    async (request, reply) => {
      reply.status(201);
      return products.createProduct(request.body);
    },
  );

  app.patch(
    "/products/:id",
    {
      preHandler: manager,
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
      const product = await products.updateProduct(request.params.id, request.body);
      if (!product) throw notFound(`product ${request.params.id}`);
      return product;
    },
  );

  app.post(
    "/orders",
    {
      preHandler: customer,
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
      preHandler: customer,
      schema: {
        tags: ["orders"],
        summary: "One of the customer's own orders, with its status",
        security: bearer,
        params: IdParams,
        response: { 200: OrderSchema, ...errorResponses(400, 401, 403, 404, 502, 504) },
      },
    },
    async (request) => {
      const order = await mesOrders.getOrder(request.params.id);
      // Another customer's order is answered exactly as a missing one: its existence is not revealed.
      if (!order || String(order.customerId) !== principalOf(request).sub) throw notFound(`order ${request.params.id}`);
      return order;
    },
  );

  return app;
}
