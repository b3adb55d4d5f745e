import { Gauge, Histogram, Registry } from "prom-client";
import type { Database, Transaction } from "./database.ts";
import type { Logger } from "./logger.ts";
import { type Committed, type OutboxEvent, outboxTable } from "./outbox.ts";

const LAG = "outbox_relay_lag_seconds";
const PENDING = "outbox_pending";

/**
 * The relays' metrics, labelled by service: the services of one process (the embedded default) share its
 * registry, so the first relay registers them and the others take its series.
 */
function relayMetrics(registry: Registry, service: string) {
  const lag =
    (registry.getSingleMetric(LAG) as Histogram<"service"> | undefined) ??
    new Histogram({
      name: LAG,
      help: "Time from an outbox row's commit to its delivery by the relay (the fast path's are not counted)",
      labelNames: ["service"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
  const pending =
    (registry.getSingleMetric(PENDING) as Gauge<"service"> | undefined) ??
    new Gauge({
      name: PENDING,
      help: "Outbox rows not yet delivered (as of the relay's last pass)",
      labelNames: ["service"],
      registers: [registry],
    });
  return { lag: lag.labels(service), pending: pending.labels(service) };
}

interface OutboxRow {
  id: number;
  created_at: Date;
  payload: unknown;
  attempts: number;
}

export interface OutboxRelayOptions<E extends OutboxEvent> {
  db: Database;
  /** The service whose schema holds the outbox (`<service>.outbox`); the metrics' `service` label. */
  service: string;
  /** Makes the cache agree with the event (invalidates what it names); rejects when it could not. */
  deliver: (event: E) => Promise<void>;
  logger: Logger;
  /** Pause between passes while there is work; 8x that while the outbox stays empty. */
  intervalMs?: number;
  /** The process's metrics registry; one of its own when absent. */
  registry?: Registry;
}

/**
 * Delivers a service's outbox: each event is handed to `deliver`, and its row is deleted once that
 * succeeded. The fast path (`deliverNow`) delivers right after the commit, so the usual delay is
 * milliseconds; the relay (`start`, or `runOnce`) is the guarantee for what the fast path missed: a crash
 * between commit and delivery, Redis down. Safe in every instance at once: rows are claimed with FOR UPDATE
 * SKIP LOCKED. A failed delivery is retried with exponential backoff. `deliver` must be idempotent: a row
 * may be delivered by the fast path and by a relay that claimed it meanwhile.
 */
export class OutboxRelay<E extends OutboxEvent> {
  readonly #db: Database;
  readonly #pollingDb: Database;
  readonly #table: string;
  readonly #deliver: (event: E) => Promise<void>;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #metrics: ReturnType<typeof relayMetrics>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(o: OutboxRelayOptions<E>) {
    this.#db = o.db;
    // The passes run in the background, whatever the traffic: counted apart (`db_queries_total{service=
    // "shop-outbox"}`), so the service's own count stays what its requests cost.
    this.#pollingDb = o.db.forService(`${o.service}-outbox`);
    this.#table = outboxTable(o.service);
    this.#deliver = o.deliver;
    this.#logger = o.logger;
    this.#intervalMs = o.intervalMs ?? 250;
    this.#metrics = relayMetrics(o.registry ?? new Registry(), o.service);
  }

  /**
   * Polls every `intervalMs` while there is work, backing off to 8x that while the outbox stays empty
   * (the fast path delivers almost everything; the relay is for what it missed).
   */
  start(): void {
    this.#stopped = false;
    let idle = 0;
    const tick = () => {
      if (this.#stopped) return;
      this.#running = this.runOnce()
        .then((delivered) => {
          idle = delivered > 0 ? 0 : Math.min(idle + 1, 3);
        })
        .catch((err) => this.#logger.warn({ err: (err as Error).message }, "outbox relay pass failed"))
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(tick, this.#intervalMs * 2 ** idle);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /**
   * The fast path, right after the commit and before the write is acknowledged: usually the only delivery
   * a row needs. A failure is not the write's: the row stays, and the relay retries it.
   */
  async deliverNow<T>({ value, event }: Committed<T, E>): Promise<T> {
    try {
      await this.#deliver(event.event);
      await this.#db.query(`DELETE FROM ${this.#table} WHERE id = $1`, [event.id]);
    } catch (err) {
      this.#logger.warn(
        { err: (err as Error).message, id: event.id, type: event.event.type },
        "outbox fast path failed; the relay will retry",
      );
    }
    return value;
  }

  /** One pass: claims due rows, delivers them, and returns how many were delivered. */
  async runOnce(batch = 100): Promise<number> {
    const pass = await this.#pollingDb.transaction(async (tx) => {
      const rows = await tx.query<OutboxRow>(
        `SELECT id, created_at, payload, attempts FROM ${this.#table} WHERE next_attempt_at <= now()
         ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [batch],
      );
      let delivered = 0;
      for (const row of rows) if (await this.#deliverRow(tx, row)) delivered++;
      return { delivered, found: rows.length };
    });
    // Counted on every pass: rows waiting out their retry backoff are not due, yet they are the ones an
    // alert on a long outage must see.
    const [count] = await this.#pollingDb.query<{ n: number }>(`SELECT count(*) AS n FROM ${this.#table}`);
    this.#metrics.pending.set(Number(count?.n ?? 0));
    return pass.delivered;
  }

  /** Delivers one claimed row and deletes it, or schedules its next attempt; true when delivered. */
  async #deliverRow(tx: Transaction, row: OutboxRow): Promise<boolean> {
    const event = (typeof row.payload === "string" ? JSON.parse(row.payload) : row.payload) as E;
    try {
      await this.#deliver(event);
      await tx.query(`DELETE FROM ${this.#table} WHERE id = $1`, [row.id]);
      this.#metrics.lag.observe((Date.now() - row.created_at.getTime()) / 1000);
      return true;
    } catch (err) {
      const backoffMs = Math.min(30_000, 100 * 2 ** Math.min(row.attempts, 10));
      await tx.query(
        `UPDATE ${this.#table} SET attempts = attempts + 1,
         next_attempt_at = now() + ($2 || ' milliseconds')::interval WHERE id = $1`,
        [row.id, String(backoffMs)],
      );
      this.#logger.warn(
        { err: (err as Error).message, id: row.id, type: event.type, backoffMs },
        "outbox delivery failed; will retry",
      );
      return false;
    }
  }
}
