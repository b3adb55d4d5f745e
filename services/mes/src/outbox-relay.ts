import type { Cache } from "@printfab/cache";
import { CACHE_PREFIX, CRM_ORDER_LISTS_TAG, orderKey, shopOrderKey } from "@printfab/contracts";
import type { CacheFactory, Database, Logger, Queryable } from "@printfab/platform";
import { Gauge, Histogram, Registry } from "prom-client";

/** What an order status change must evict, in every service that shows the order. */
export interface OrderChanged {
  orderId: number;
  customerId: number;
}

/** The relay's own metrics, in the process's registry. */
function relayMetrics(registry: Registry) {
  return {
    lag: new Histogram({
      name: "outbox_relay_lag_seconds",
      help: "Time from an outbox row's commit to its invalidations being delivered",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    pending: new Gauge({
      name: "outbox_pending",
      help: "Outbox rows not yet delivered (as of the relay's last pass)",
      registers: [registry],
    }),
  };
}

/** Writes the invalidation of an order change into the outbox, inside the change's own transaction. */
export async function recordOrderChanged(tx: Queryable, change: OrderChanged): Promise<number> {
  const [row] = await tx.query<{ id: number }>("INSERT INTO mes.outbox (payload) VALUES ($1) RETURNING id", [
    JSON.stringify(change),
  ]);
  return (row as { id: number }).id;
}

/**
 * Delivers outbox rows: evicts the order from MES's, the CRM's and the Shop's caches (Redis entries and,
 * through the bus, every instance's L1), then deletes the row. Safe in every MES instance at once: rows
 * are claimed with FOR UPDATE SKIP LOCKED. A failed delivery is retried with exponential backoff, so a
 * crash between commit and eviction, or a Redis outage, delays an invalidation but never loses it.
 */
export class OutboxRelay {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  private constructor(
    private readonly db: Database,
    private readonly caches: { mes: Cache; crm: Cache; shop: Cache },
    private readonly logger: Logger,
    private readonly intervalMs: number,
    private readonly metrics: ReturnType<typeof relayMetrics>,
  ) {}

  static async create(
    db: Database,
    factory: CacheFactory,
    logger: Logger,
    intervalMs = 250,
    registry = new Registry(),
  ): Promise<OutboxRelay> {
    // Invalidation handles only: L1 off, they never read.
    const handle = (name: string, prefix: string) => factory.create(name, prefix, { l1MaxBytes: 0 });
    return new OutboxRelay(
      db,
      {
        mes: await handle("mes_outbox_mes", CACHE_PREFIX.mesOrders),
        crm: await handle("mes_outbox_crm", CACHE_PREFIX.crmOrders),
        shop: await handle("mes_outbox_shop", CACHE_PREFIX.shopOrders),
      },
      logger,
      intervalMs,
      relayMetrics(registry),
    );
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
        .catch((err) => this.logger.warn({ err: (err as Error).message }, "outbox relay pass failed"))
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(tick, this.intervalMs * 2 ** idle);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** The fast path, right after the commit: usually the only delivery a row needs. */
  async deliverNow(id: number, change: OrderChanged): Promise<void> {
    try {
      await this.#evict(change);
      await this.db.query("DELETE FROM mes.outbox WHERE id = $1", [id]);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, id }, "outbox fast path failed; the relay will retry");
    }
  }

  /** One pass: claims due rows, delivers them, and returns how many were delivered. */
  async runOnce(batch = 100): Promise<number> {
    const delivered = await this.db.transaction(async (tx) => {
      const rows = await tx.query<{ id: number; created_at: Date; payload: OrderChanged; attempts: number }>(
        `SELECT id, created_at, payload, attempts FROM mes.outbox WHERE next_attempt_at <= now()
         ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [batch],
      );
      let ok = 0;
      for (const row of rows) {
        const payload = typeof row.payload === "string" ? (JSON.parse(row.payload) as OrderChanged) : row.payload;
        try {
          await this.#evict(payload);
          await tx.query("DELETE FROM mes.outbox WHERE id = $1", [row.id]);
          this.metrics.lag.observe((Date.now() - row.created_at.getTime()) / 1000);
          ok++;
        } catch (err) {
          const backoffMs = Math.min(30_000, 100 * 2 ** Math.min(row.attempts, 10));
          await tx.query(
            "UPDATE mes.outbox SET attempts = attempts + 1, next_attempt_at = now() + ($2 || ' milliseconds')::interval WHERE id = $1",
            [row.id, String(backoffMs)],
          );
          this.logger.warn(
            { err: (err as Error).message, id: row.id, backoffMs },
            "outbox delivery failed; will retry",
          );
        }
      }
      return { ok, found: rows.length };
    });
    // Counting costs a query: only after a pass that had work (an empty pass means nothing is due).
    if (delivered.found === 0) this.metrics.pending.set(0);
    else
      this.metrics.pending.set((await this.db.query<{ n: number }>("SELECT count(*) AS n FROM mes.outbox"))[0]?.n ?? 0);
    return delivered.ok;
  }

  async #evict(change: OrderChanged): Promise<void> {
    await Promise.all([
      this.caches.mes.invalidate([orderKey(change.orderId)]),
      this.caches.crm.invalidate([orderKey(change.orderId)]),
      this.caches.crm.invalidateTags([CRM_ORDER_LISTS_TAG]),
      this.caches.shop.invalidate([shopOrderKey(change.customerId, change.orderId)]),
    ]);
  }
}
