export * from "./crm-app.ts";
export * from "./customer-store.ts";
