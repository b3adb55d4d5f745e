import { Id, Pagination } from "@printfab/platform";
import { type Static, Type } from "typebox";

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
export const NewOrderSchema = Type.Object(
  {
    customerId: Type.Integer({ minimum: 1 }),
    items: Type.Array(OrderItemSchema, ITEMS_PER_ORDER),
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
export type OrderPage = Static<typeof OrderPageSchema>;
export type PlaceOrder = Static<typeof PlaceOrderSchema>;
export type NewOrder = Static<typeof NewOrderSchema>;
