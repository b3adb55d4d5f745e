export * from "./product-store.ts";
export * from "./shop-app.ts";
