export * from "./mes-app.ts";
export * from "./order-lifecycle.ts";
