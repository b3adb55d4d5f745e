import { Id, Pagination } from "@printfab/platform";
import { type Static, Type } from "typebox";
import { Material, ModelKey } from "./product.ts";

/** The order statuses (docs/architecture.md); MES owns the rules that move between them. */
export const ORDER_STATUSES = [
  "created",
  "approved",
  "printing",
  "post_processing",
  "packed",
  "shipped",
  "delivered",
  "cancelled",
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const OrderStatusSchema = Type.Enum([...ORDER_STATUSES]);

const Quantity = Type.Integer({ minimum: 1, maximum: 1000 });
const ITEMS_PER_ORDER = { minItems: 1, maxItems: 50 };

export const OrderItemSchema = Type.Object({
  productId: Type.Integer({ minimum: 1 }),
  productName: Type.String({ minLength: 1, maxLength: 200 }),
  quantity: Quantity,
  unitPriceCents: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
});

export const OrderSummarySchema = Type.Object({
  id: Type.Integer(),
  customerId: Type.Integer(),
  status: OrderStatusSchema,
  totalCents: Type.Integer(),
  createdAt: Type.String({ format: "date-time" }),
  updatedAt: Type.String({ format: "date-time" }),
});

export const StatusChangeSchema = Type.Object({
  from: Type.Union([OrderStatusSchema, Type.Null()]),
  to: OrderStatusSchema,
  by: Type.String(),
  at: Type.String({ format: "date-time" }),
  /**
   * The history row's id: the change's `seq` on the event streams, so a stream can replay from an order
   * read through the cache. Optional only because an entry cached by an older MES lacks it.
   */
  seq: Type.Optional(Type.Integer({ minimum: 1 })),
});

export const OrderSchema = Type.Intersect([
  OrderSummarySchema,
  Type.Object({ items: Type.Array(OrderItemSchema), history: Type.Array(StatusChangeSchema) }),
]);

/** A page of orders, of one customer, of one status, or all. */
export const OrderQuerySchema = Type.Object(
  { status: Type.Optional(OrderStatusSchema), customerId: Type.Optional(Id), ...Pagination },
  { additionalProperties: false },
);

/** The lifecycle as MES enforces it: every status, and where each may move (GET /orders/lifecycle). */
export const OrderLifecycleSchema = Type.Object({
  statuses: Type.Array(OrderStatusSchema),
  next: Type.Record(Type.String(), Type.Array(OrderStatusSchema)),
});

/** MES's queue: a page of orders, oldest first (the queue) or newest first (a customer's "my orders"). */
export const OrderQueueQuerySchema = Type.Object(
  { ...OrderQuerySchema.properties, sort: Type.Optional(Type.Enum(["oldest", "newest"], { default: "oldest" })) },
  { additionalProperties: false },
);

/** A customer's own orders, as the Shop asks for them (the customer is the signed-in one). */
export const CustomerOrderQuerySchema = Type.Object({ ...Pagination }, { additionalProperties: false });

export const OrderPageSchema = Type.Object({
  items: Type.Array(OrderSummarySchema),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

/** What a customer sends the Shop: products and quantities; the Shop adds names and prices. */
export const PlaceOrderSchema = Type.Object(
  {
    items: Type.Array(
      Type.Object({ productId: Id, quantity: Quantity }, { additionalProperties: false }),
      ITEMS_PER_ORDER,
    ),
  },
  { additionalProperties: false },
);

/** What the Shop sends MES to place an order: prices fixed by the Shop at order time. */
/**
 * An item as the Shop places it: what the order records, and the product's model and material, which MES
 * slices as soon as the order is placed (they are not part of the order itself).
 */
export const NewOrderItemSchema = Type.Intersect([
  OrderItemSchema,
  Type.Object({ modelKey: Type.Optional(ModelKey), material: Type.Optional(Material) }),
]);

export const NewOrderSchema = Type.Object(
  {
    customerId: Type.Integer({ minimum: 1 }),
    items: Type.Array(NewOrderItemSchema, ITEMS_PER_ORDER),
  },
  { additionalProperties: false },
);

/** What an operator sends MES to move an order along its lifecycle. */
export const StatusChangeRequestSchema = Type.Object({ status: OrderStatusSchema }, { additionalProperties: false });

export type OrderItem = Static<typeof OrderItemSchema>;
export type OrderSummary = Static<typeof OrderSummarySchema>;
export type StatusChange = Static<typeof StatusChangeSchema>;
export type Order = Static<typeof OrderSchema>;
export type OrderQuery = Static<typeof OrderQuerySchema>;
export type OrderQueueQuery = Static<typeof OrderQueueQuerySchema>;
export type OrderPage = Static<typeof OrderPageSchema>;
export type OrderLifecycle = Static<typeof OrderLifecycleSchema>;
export type PlaceOrder = Static<typeof PlaceOrderSchema>;
export type NewOrder = Static<typeof NewOrderSchema>;
