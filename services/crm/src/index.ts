export * from "./crm-app.ts";
