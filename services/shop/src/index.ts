export * from "./model-catalog.ts";
export * from "./product-store.ts";
export * from "./shop-app.ts";
