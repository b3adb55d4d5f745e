export * from "./customer.ts";
export * from "./mes-orders-client.ts";
export * from "./order.ts";
export * from "./product.ts";
