import { Counter, register } from "prom-client";

export type ObjectStoreOp = "get" | "put" | "head" | "delete";

const NAME = "object_store_requests_total";

/** `object_store_requests_total{op}` of docs/architecture.md: every request sent to the store. */
export const objectStoreRequestsTotal =
  (register.getSingleMetric(NAME) as Counter<"op"> | undefined) ??
  new Counter({ name: NAME, help: "Requests sent to the object store", labelNames: ["op"] });

export const countRequest = (op: ObjectStoreOp) => objectStoreRequestsTotal.labels(op).inc();
