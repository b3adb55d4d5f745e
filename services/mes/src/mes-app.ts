import { fileURLToPath } from "node:url";
import {
  AnalysisSchema,
  CACHE_PREFIX,
  ModelBodySchema,
  meshTask,
  modelBytes,
  NewOrderSchema,
  OrderPageSchema,
  OrderSchema,
  OrderStatusSchema,
  orderKey,
  QuoteQuerySchema,
  QuoteSchema,
} from "@printfab/contracts";
import { contentHash, type MeshPool, PRICING } from "@printfab/mesh";
import {
  type Auth,
  acceptModelUploads,
  bearer,
  type CacheFactory,
  type Config,
  cacheStatus,
  createHttpApp,
  type Database,
  databaseHealthCheck,
  type EdgeSettings,
  errorResponses,
  type HttpApp,
  Id,
  IdParams,
  type Logger,
  notFound,
  Pagination,
  principalOf,
  registerHealth,
  replyPrivate,
  requireRole,
} from "@printfab/platform";
import { Type } from "typebox";
import { OrderStore } from "./order-store.ts";
import { OutboxRelay } from "./outbox-relay.ts";

export const MES_SCHEMA = "mes";
export const mesMigrationsDir = fileURLToPath(new URL("../migrations", import.meta.url));

export interface MesDeps {
  /** Client deadlines and limits (the configuration\'s defaults when absent). */
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
  const app = await createHttpApp({
    service: "mes",
    description: "Production: the order queue and the order status lifecycle.",
    logger: deps.logger,
    edge: deps.edge,
    auth: deps.auth,
    caches: deps.caches,
  });
  const orders = new OrderStore(deps.db);
  // L2 only: an acknowledged status change must be visible to the very next read in every instance.
  const orderCache = await deps.caches.create("mes_orders", CACHE_PREFIX.mesOrders, { l1MaxBytes: 0 });
  const modelCache = await deps.caches.create("mes_models", CACHE_PREFIX.mesModels);
  const relay = await OutboxRelay.create(
    deps.db,
    deps.caches,
    deps.logger.child({ service: "mes", component: "outbox" }),
    deps.relay?.intervalMs,
  );
  if (deps.relay) {
    relay.start();
    app.addHook("onClose", () => relay.stop());
  }
  const redisCheck = deps.caches.healthCheck();
  registerHealth(app, "mes", [databaseHealthCheck(deps.db), ...(redisCheck ? [redisCheck] : [])], {
    revealDetails: (request) => app.admin.isAdmin(request),
  });
  const analysisTtl = deps.ttl.analysis * 1000;

  const staff = requireRole(deps.auth, "operator", "manager", "service");

  app.get(
    "/orders",
    {
      onRequest: staff,
      schema: {
        tags: ["orders"],
        summary: "The order queue, oldest first; filter by status or customer",
        security: bearer,
        querystring: Type.Object(
          { status: Type.Optional(OrderStatusSchema), customerId: Type.Optional(Id), ...Pagination },
          { additionalProperties: false },
        ),
        response: { 200: OrderPageSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { limit, offset, status, customerId } = request.query;
      const page = await orders.listOrders({ limit, offset, status, customerId });
      return { ...page, limit, offset };
    },
  );

  app.get(
    "/orders/:id",
    {
      onRequest: staff,
      schema: {
        tags: ["orders"],
        summary: "One order with its items and status history",
        security: bearer,
        params: IdParams,
        response: { 200: OrderSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const found = await orderCache.fetch(orderKey(request.params.id), () => orders.getOrder(request.params.id), {
        ttl: deps.ttl.order * 1000,
        negativeTtl: 2000,
      });
      if (!found.value) throw notFound(`order ${request.params.id}`);
      return replyPrivate(reply, "mes", { ...found, value: found.value });
    },
  );

  app.post(
    "/orders/:id/status",
    {
      onRequest: requireRole(deps.auth, "operator"),
      schema: {
        tags: ["orders"],
        summary: "Move an order along its lifecycle (409 on an illegal transition)",
        security: bearer,
        params: IdParams,
        body: Type.Object({ status: OrderStatusSchema }, { additionalProperties: false }),
        response: { 200: OrderSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { order, outboxId } = await orders.changeStatus(
        request.params.id,
        request.body.status,
        principalOf(request).sub,
      );
      // The fast path: evict now, so the usual delay is milliseconds; the relay is the guarantee.
      await relay.deliverNow(outboxId, { orderId: order.id, customerId: order.customerId });
      return order;
    },
  );

  app.post(
    "/orders",
    {
      onRequest: requireRole(deps.auth, "service"),
      schema: {
        tags: ["internal"],
        summary: "Internal: the Shop places a customer's order (prices fixed by the Shop)",
        security: bearer,
        body: NewOrderSchema,
        response: { 201: OrderSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const order = await orders.createOrder(request.body, `customer:${request.body.customerId}`);
      reply.status(201);
      return order;
    },
  );

  acceptModelUploads(app);
  const upload = { bodyLimit: deps.uploadLimitBytes, config: { upload: true } };

  app.post(
    "/analyses",
    {
      ...upload,
      onRequest: staff,
      schema: {
        tags: ["models"],
        summary: "Measure a 3D file: volume, area, bounding box, watertightness",
        security: bearer,
        body: ModelBodySchema,
        response: { 200: AnalysisSchema, ...errorResponses(400, 401, 403, 413, 415, 422, 503) },
      },
    },
    async (request, reply) => {
      const bytes = modelBytes(request.body);
      // Keyed by content: the same file is measured once, whoever sends it.
      const found = await modelCache.fetch(
        `analysis:${contentHash(bytes)}`,
        () => meshTask(deps.meshPool.analyze(bytes)),
        {
          ttl: analysisTtl,
        },
      );
      reply.header("cache-status", cacheStatus("mes", found));
      return found.value;
    },
  );

  app.post(
    "/quotes",
    {
      ...upload,
      onRequest: staff,
      schema: {
        tags: ["models"],
        summary: "Measure and price a 3D file for the given options (the Shop's instant quotes)",
        security: bearer,
        querystring: QuoteQuerySchema,
        body: ModelBodySchema,
        response: { 200: QuoteSchema, ...errorResponses(400, 401, 403, 413, 415, 422, 503) },
      },
    },
    async (request, reply) => {
      const { material, infill, layerHeight, quantity } = request.query;
      const bytes = modelBytes(request.body);
      // Content hash + every pricing input + the price table's version: a new table is a new key.
      const key = `quote:v${PRICING.version}:${contentHash(bytes)}:${material}:${infill}:${layerHeight}:${quantity}`;
      const found = await modelCache.fetch(
        key,
        () => meshTask(deps.meshPool.quote(bytes, { material, infill, layerHeightMm: layerHeight, quantity })),
        { ttl: analysisTtl },
      );
      reply.header("cache-status", cacheStatus("mes", found));
      return found.value;
    },
  );

  return app;
}
