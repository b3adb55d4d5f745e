import { Counter, Registry } from "prom-client";

export type ObjectStoreOp = "get" | "put" | "head" | "delete";

const NAME = "object_store_requests_total";

/** Counts one request sent to the store, by operation. */
export type CountRequest = (op: ObjectStoreOp) => void;

/**
 * `object_store_requests_total{op}` (docs/architecture.md) in the given registry: every request sent to the
 * store. Stores built on one registry share the counter; without one, a store counts for itself.
 */
export function objectStoreRequests(registry: Registry = new Registry()): CountRequest {
  const counter =
    (registry.getSingleMetric(NAME) as Counter<"op"> | undefined) ??
    new Counter({ name: NAME, help: "Requests sent to the object store", labelNames: ["op"], registers: [registry] });
  return (op) => counter.labels(op).inc();
}
