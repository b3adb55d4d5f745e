import {
  NewOrderSchema,
  OrderLifecycleSchema,
  OrderPageSchema,
  OrderQueueQuerySchema,
  OrderSchema,
  StatusChangeRequestSchema,
} from "@printfab/contracts";
import {
  type Auth,
  bearer,
  EventStreamQuery,
  errorResponses,
  type HttpApp,
  IdParams,
  lastEventIdOf,
  orNotFound,
  principalOf,
  replyPrivate,
  requireRole,
} from "@printfab/platform";
import type { OrderEvents } from "../order-events.ts";
import { lifecycle } from "../order-lifecycle.ts";
import type { OrderReads } from "../order-reads.ts";
import type { OrderWrites } from "../order-writes.ts";

export interface OrderRoutesDeps {
  auth: Auth;
  reads: OrderReads;
  writes: OrderWrites;
}

const queueSchema = {
  tags: ["orders"],
  summary: "The order queue, oldest first (or newest first); filter by status or customer",
  security: bearer,
  querystring: OrderQueueQuerySchema,
  response: { 200: OrderPageSchema, ...errorResponses(400, 401, 403) },
};

const getSchema = {
  tags: ["orders"],
  summary: "One order with its items and status history",
  security: bearer,
  params: IdParams,
  response: { 200: OrderSchema, ...errorResponses(400, 401, 403, 404) },
};

const changeStatusSchema = {
  tags: ["orders"],
  summary: "Move an order along its lifecycle (409 on an illegal transition)",
  security: bearer,
  params: IdParams,
  body: StatusChangeRequestSchema,
  response: { 200: OrderSchema, ...errorResponses(400, 401, 403, 404, 409) },
};

const placeSchema = {
  tags: ["internal"],
  summary: "Internal: the Shop places a customer's order (prices fixed by the Shop)",
  security: bearer,
  body: NewOrderSchema,
  response: { 201: OrderSchema, ...errorResponses(400, 401, 403) },
};

const lifecycleSchema = {
  tags: ["orders"],
  summary: "The order statuses and, for each, the statuses it may move to",
  security: bearer,
  response: { 200: OrderLifecycleSchema, ...errorResponses(401, 403) },
};

const eventsSchema = {
  tags: ["orders"],
  summary:
    "Every order's status changes, pushed (text/event-stream: `id: <seq>`, `event: status`, `data: {orderId, customerId, status, from, at, seq}`). " +
    "`Last-Event-ID` (or `?lastEventId=`) replays the changes after it, at most 1,000: past that, `event: reset` asks the client to reload.",
  security: bearer,
  querystring: EventStreamQuery,
  response: errorResponses(400, 401, 403, 429, 503),
};

export interface OrderEventRoutesDeps {
  auth: Auth;
  events: OrderEvents;
}

/** Status changes by push, for the production board; the lifecycle the board offers moves from. */
export async function orderEventRoutes(app: HttpApp, { auth, events }: OrderEventRoutesDeps): Promise<void> {
  const staff = requireRole(auth, "operator", "manager");
  app.get("/orders/lifecycle", { onRequest: staff, schema: lifecycleSchema }, async () => lifecycle());
  app.get("/orders/events", { onRequest: staff, schema: eventsSchema, config: { ticket: true } }, (request, reply) =>
    events.stream(request, reply, lastEventIdOf(request)),
  );
}

/** The production queue and the order status lifecycle; the Shop places orders here. */
export async function orderRoutes(app: HttpApp, { auth, reads, writes }: OrderRoutesDeps): Promise<void> {
  const staff = requireRole(auth, "operator", "manager", "service");

  app.get("/orders", { onRequest: staff, schema: queueSchema }, async (request) => reads.queue(request.query));

  app.get("/orders/:id", { onRequest: staff, schema: getSchema }, async (request, reply) => {
    const { id } = request.params;
    // A neighbour (the Shop, the CRM) asks on a miss of the shared entry, holding its lease.
    const neighbour = principalOf(request).role === "service";
    const found = neighbour ? await reads.orderForNeighbour(id) : await reads.order(id);
    return replyPrivate(reply, "mes", orNotFound(found, `order ${id}`));
  });

  const operator = requireRole(auth, "operator");
  app.post("/orders/:id/status", { onRequest: operator, schema: changeStatusSchema }, async (request) =>
    writes.changeStatus(request.params.id, request.body.status, principalOf(request).sub),
  );

  app.post("/orders", { onRequest: requireRole(auth, "service"), schema: placeSchema }, async (request, reply) => {
    reply.status(201);
    return writes.place(request.body);
  });
}
