import { CustomerOrderQuerySchema, OrderPageSchema, OrderSchema, PlaceOrderSchema } from "@printfab/contracts";
import {
  type Auth,
  bearer,
  EventStreamQuery,
  errorResponses,
  type HttpApp,
  IdParams,
  lastEventIdOf,
  orNotFound,
  PRIVATE_CACHE_CONTROL,
  principalOf,
  replyPrivate,
  requireRole,
} from "@printfab/platform";
import type { ShopOrderEvents } from "../order-events.ts";
import type { OrderPlacement } from "../order-placement.ts";
import type { OrderReads } from "../order-reads.ts";

export interface OrderRoutesDeps {
  auth: Auth;
  placement: OrderPlacement;
  reads: OrderReads;
}

const placeSchema = {
  tags: ["orders"],
  summary: "Place an order (customer); prices are the catalogue's at this moment",
  security: bearer,
  body: PlaceOrderSchema,
  response: { 201: OrderSchema, ...errorResponses(400, 401, 403, 413, 415, 422, 502, 504) },
};

const getSchema = {
  tags: ["orders"],
  summary: "One of the customer's own orders, with its status",
  security: bearer,
  params: IdParams,
  response: { 200: OrderSchema, ...errorResponses(400, 401, 403, 404, 502, 504) },
};

const listSchema = {
  tags: ["orders"],
  summary: "The customer's own orders, newest first",
  security: bearer,
  querystring: CustomerOrderQuerySchema,
  response: { 200: OrderPageSchema, ...errorResponses(400, 401, 403, 502, 504) },
};

const eventsSchema = {
  tags: ["orders"],
  summary:
    "One of the customer's own orders, its status changes pushed (text/event-stream: `id: <seq>`, `event: status`, " +
    "`data: {orderId, customerId, status, from, at, seq}`): its history first (after `Last-Event-ID` or `?lastEventId=`), then live",
  security: bearer,
  params: IdParams,
  querystring: EventStreamQuery,
  response: errorResponses(400, 401, 403, 404, 429, 502, 503, 504),
};

export interface OrderEventRoutesDeps {
  auth: Auth;
  events: ShopOrderEvents;
}

/** A customer's order, followed live. */
export async function orderEventRoutes(app: HttpApp, { auth, events }: OrderEventRoutesDeps): Promise<void> {
  const customer = requireRole(auth, "customer");
  app.get(
    "/orders/:id/events",
    { onRequest: customer, schema: eventsSchema, config: { ticket: true } },
    (request, reply) =>
      events.stream(request, reply, Number(principalOf(request).sub), request.params.id, lastEventIdOf(request)),
  );
}

/** A customer's own orders: placed through the Shop, owned and tracked by MES. */
export async function orderRoutes(app: HttpApp, { auth, placement, reads }: OrderRoutesDeps): Promise<void> {
  const customer = requireRole(auth, "customer");

  app.post("/orders", { onRequest: customer, schema: placeSchema }, async (request, reply) => {
    reply.status(201);
    return placement.place(Number(principalOf(request).sub), request.body.items);
  });

  app.get("/orders", { onRequest: customer, schema: listSchema }, async (request, reply) => {
    reply.header("cache-control", PRIVATE_CACHE_CONTROL);
    return reads.customerOrders(Number(principalOf(request).sub), request.query);
  });

  app.get("/orders/:id", { onRequest: customer, schema: getSchema }, async (request, reply) => {
    const { id } = request.params;
    const found = await reads.customerOrder(Number(principalOf(request).sub), id);
    // Another customer's order is answered exactly as a missing one, and neither answer is kept downstream.
    if (!found.value) reply.header("cache-control", PRIVATE_CACHE_CONTROL);
    return replyPrivate(reply, "shop", orNotFound(found, `order ${id}`));
  });
}
