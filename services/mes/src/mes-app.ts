import { fileURLToPath } from "node:url";
import {
  AnalysisSchema,
  ModelBodySchema,
  meshTask,
  modelBytes,
  NewOrderSchema,
  OrderPageSchema,
  OrderSchema,
  OrderStatusSchema,
  QuoteQuerySchema,
  QuoteSchema,
} from "@printfab/contracts";
import type { MeshPool } from "@printfab/mesh";
import {
  type Auth,
  acceptModelUploads,
  bearer,
  createHttpApp,
  type Database,
  databaseHealthCheck,
  errorResponses,
  type HttpApp,
  Id,
  IdParams,
  type Logger,
  notFound,
  Pagination,
  principalOf,
  registerHealth,
  requireRole,
} from "@printfab/platform";
import { Type } from "typebox";
import { OrderStore } from "./order-store.ts";

export const MES_SCHEMA = "mes";
export const mesMigrationsDir = fileURLToPath(new URL("../migrations", import.meta.url));

export interface MesDeps {
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
  });
  const orders = new OrderStore(deps.db);
  registerHealth(app, "mes", [databaseHealthCheck(deps.db)]);

  const staff = requireRole(deps.auth, "operator", "manager", "service");

  app.get(
    "/orders",
    {
      preHandler: staff,
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
      preHandler: staff,
      schema: {
        tags: ["orders"],
        summary: "One order with its items and status history",
        security: bearer,
        params: IdParams,
        response: { 200: OrderSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const order = await orders.getOrder(request.params.id);
      if (!order) throw notFound(`order ${request.params.id}`);
      return order;
    },
  );

  app.post(
    "/orders/:id/status",
    {
      preHandler: requireRole(deps.auth, "operator"),
      schema: {
        tags: ["orders"],
        summary: "Move an order along its lifecycle (409 on an illegal transition)",
        security: bearer,
        params: IdParams,
        body: Type.Object({ status: OrderStatusSchema }, { additionalProperties: false }),
        response: { 200: OrderSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => orders.changeStatus(request.params.id, request.body.status, principalOf(request).sub),
  );

  app.post(
    "/orders",
    {
      preHandler: requireRole(deps.auth, "service"),
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
  const upload = { bodyLimit: deps.uploadLimitBytes };

  app.post(
    "/analyses",
    {
      ...upload,
      preHandler: staff,
      schema: {
        tags: ["models"],
        summary: "Measure a 3D file: volume, area, bounding box, watertightness",
        security: bearer,
        body: ModelBodySchema,
        response: { 200: AnalysisSchema, ...errorResponses(400, 401, 403, 413, 415, 422, 503) },
      },
    },
    async (request) => meshTask(deps.meshPool.analyze(modelBytes(request.body))),
  );

  app.post(
    "/quotes",
    {
      ...upload,
      preHandler: staff,
      schema: {
        tags: ["models"],
        summary: "Measure and price a 3D file for the given options (the Shop's instant quotes)",
        security: bearer,
        querystring: QuoteQuerySchema,
        body: ModelBodySchema,
        response: { 200: QuoteSchema, ...errorResponses(400, 401, 403, 413, 415, 422, 503) },
      },
    },
    async (request) => {
      const { material, infill, layerHeight, quantity } = request.query;
      return meshTask(
        deps.meshPool.quote(modelBytes(request.body), { material, infill, layerHeightMm: layerHeight, quantity }),
      );
    },
  );

  return app;
}
