export * from "./model-catalog.ts";
export * from "./shop-app.ts";
