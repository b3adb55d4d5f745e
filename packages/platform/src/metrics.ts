import { Counter, collectDefaultMetrics, Histogram, register } from "prom-client";

/**
 * The metrics of docs/architecture.md ("Contracts") that the platform owns. They live in prom-client's global registry,
 * so that several services in one process (the embedded default) share one set, told apart by labels.
 */
export const metricsRegistry = register;

const single = <T>(name: string, make: () => T): T => (register.getSingleMetric(name) as T | undefined) ?? make();

export const dbQueriesTotal = single(
  "db_queries_total",
  () => new Counter({ name: "db_queries_total", help: "SQL statements sent to the database", labelNames: ["service"] }),
);

export const httpRequestDuration = single(
  "http_request_duration_seconds",
  () =>
    new Histogram({
      name: "http_request_duration_seconds",
      help: "HTTP request duration by service, method, route and status",
      labelNames: ["service", "method", "route", "status"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
);

let defaultsCollected = false;
export function collectProcessMetrics(): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  collectDefaultMetrics();
}
