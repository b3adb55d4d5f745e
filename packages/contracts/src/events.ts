import { type Static, Type } from "typebox";

/**
 * Domain events: facts a service records in its own outbox, in the transaction of the write that makes
 * them true. They name what changed, never a cache key: each service maps its own events to its own keys.
 */

/** A product was created or changed (Shop). */
export const ProductChangedSchema = Type.Object({ type: Type.Literal("product.changed"), id: Type.Integer() });

/** A customer's profile changed (CRM). */
export const CustomerChangedSchema = Type.Object({ type: Type.Literal("customer.changed"), id: Type.Integer() });

/** An order was placed or moved along its lifecycle (MES). */
export const OrderChangedSchema = Type.Object({
  type: Type.Literal("order.changed"),
  orderId: Type.Integer(),
  customerId: Type.Integer(),
});

export type ProductChanged = Static<typeof ProductChangedSchema>;
export type CustomerChanged = Static<typeof CustomerChangedSchema>;
export type OrderChanged = Static<typeof OrderChangedSchema>;
