export * from "./mes-app.ts";
export * from "./order-lifecycle.ts";
export * from "./order-store.ts";
export * from "./outbox-relay.ts";
