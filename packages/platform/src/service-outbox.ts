import type { Database } from "./database.ts";
import type { HttpApp } from "./http-app.ts";
import type { Logger } from "./logger.ts";
import type { PlatformMetrics } from "./metrics.ts";
import type { OutboxEvent } from "./outbox.ts";
import { OutboxRelay } from "./outbox-relay.ts";

export interface ServiceOutboxDeps {
  db: Database;
  logger: Logger;
  /** The process's metrics: the relay's series go into its registry. */
  metrics?: PlatformMetrics;
  /** Run the polling relay in this instance (every instance may: rows are claimed with SKIP LOCKED). */
  relay?: { intervalMs: number };
}

/**
 * The outbox of `service` as every service wires it: the fast path always, and the polling relay when
 * `deps.relay` asks for it, stopped (its pass in progress awaited) when the app closes.
 */
export function createServiceOutbox<E extends OutboxEvent>(
  app: HttpApp,
  service: string,
  deps: ServiceOutboxDeps,
  deliver: (event: E) => Promise<void>,
): OutboxRelay<E> {
  const relay = new OutboxRelay<E>({
    db: deps.db,
    service,
    deliver,
    logger: deps.logger.child({ service, component: "outbox" }),
    intervalMs: deps.relay?.intervalMs,
    registry: deps.metrics?.registry,
  });
  if (deps.relay) {
    relay.start();
    app.addHook("onClose", () => relay.stop());
  }
  return relay;
}
