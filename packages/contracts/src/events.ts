import { type Static, Type } from "typebox";
import { OrderStatusSchema } from "./order.ts";

/**
 * Domain events: facts a service records in its own outbox, in the transaction of the write that makes
 * them true. They name what changed, never a cache key: each service maps its own events to its own keys.
 */

/** A product was created or changed (Shop). */
export const ProductChangedSchema = Type.Object({ type: Type.Literal("product.changed"), id: Type.Integer() });

/** A customer's profile changed (CRM). */
export const CustomerChangedSchema = Type.Object({ type: Type.Literal("customer.changed"), id: Type.Integer() });

/**
 * What an order's status change tells the people watching it (the SSE streams of the Shop and MES):
 * `seq` is the id of the status-history row, a global increasing number, so a stream's `Last-Event-ID`.
 */
export const OrderStatusEventSchema = Type.Object({
  orderId: Type.Integer(),
  customerId: Type.Integer(),
  status: OrderStatusSchema,
  from: Type.Union([OrderStatusSchema, Type.Null()]),
  at: Type.String({ format: "date-time" }),
  seq: Type.Integer({ minimum: 1 }),
});

/**
 * An order was placed or moved along its lifecycle (MES). The status fields are pushed to the streams;
 * rows recorded before they existed carry only the ids: they still invalidate, and push nothing.
 */
export const OrderChangedSchema = Type.Object({
  type: Type.Literal("order.changed"),
  orderId: Type.Integer(),
  customerId: Type.Integer(),
  status: Type.Optional(OrderStatusSchema),
  from: Type.Optional(Type.Union([OrderStatusSchema, Type.Null()])),
  at: Type.Optional(Type.String({ format: "date-time" })),
  seq: Type.Optional(Type.Integer({ minimum: 1 })),
});

/** The `event:` name of a status change on the streams (`id:` its seq, `data:` the JSON of `OrderStatusEvent`). */
export const ORDER_STATUS_EVENT = "status";

/** The channel (on the cache's connection) that carries `OrderStatusEvent`s from MES to every Shop and MES. */
export const ORDER_STATUS_CHANNEL = "order-status";

export type ProductChanged = Static<typeof ProductChangedSchema>;
export type CustomerChanged = Static<typeof CustomerChangedSchema>;
export type OrderChanged = Static<typeof OrderChangedSchema>;
export type OrderStatusEvent = Static<typeof OrderStatusEventSchema>;

/** A status change as the streams frame it: `event: status`, `data:` its JSON (the stream adds `id:` its seq). */
/** The streams of one order follow its id. */
export const orderStatusTopic = (e: OrderStatusEvent) => String(e.orderId);

export const orderStatusFrame = (e: OrderStatusEvent) => ({ event: ORDER_STATUS_EVENT, data: JSON.stringify(e) });

/** The push an `order.changed` row carries, or null for a row recorded before pushes existed. */
export function statusEventOf(e: OrderChanged): OrderStatusEvent | null {
  if (e.status === undefined || e.from === undefined || e.at === undefined || e.seq === undefined) return null;
  return { orderId: e.orderId, customerId: e.customerId, status: e.status, from: e.from, at: e.at, seq: e.seq };
}
