export * from "./connect-mes.ts";
export * from "./mes-orders-client.ts";
export * from "./mes-quotes-client.ts";
