export * from "./cache-keys.ts";
export * from "./customer.ts";
export * from "./events.ts";
export * from "./model.ts";
export * from "./order.ts";
export * from "./product.ts";
