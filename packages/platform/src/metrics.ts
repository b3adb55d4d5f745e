import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

/**
 * The metrics the platform owns (docs/architecture.md, "Contracts"), in a registry that whoever starts a
 * process creates and passes down: several services in one process (the embedded default) share it and
 * are told apart by labels; a test gets a registry of its own. No prom-client global.
 */
export class PlatformMetrics {
  readonly dbQueries: Counter<"service">;
  readonly httpRequestDuration: Histogram<"service" | "method" | "route" | "status">;
  #processCollected = false;

  constructor(readonly registry: Registry = new Registry()) {
    this.dbQueries = new Counter({
      name: "db_queries_total",
      help: "SQL statements sent to the database",
      labelNames: ["service"],
      registers: [registry],
    });
    this.httpRequestDuration = new Histogram({
      name: "http_request_duration_seconds",
      help: "HTTP request duration by service, method, route and status",
      labelNames: ["service", "method", "route", "status"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
  }

  /** CPU, memory and event-loop lag of this process (the benchmark reads the services' CPU from them). */
  collectProcessMetrics(): void {
    if (this.#processCollected) return;
    this.#processCollected = true;
    collectDefaultMetrics({ register: this.registry });
  }

  /** The current value of a counter or gauge of this registry for the given labels (0 when never set). */
  async value(name: string, labels: Record<string, string> = {}): Promise<number> {
    const metric = this.registry.getSingleMetric(name);
    if (!metric) return 0;
    const { values } = await metric.get();
    const match = values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
    return match?.value ?? 0;
  }
}
