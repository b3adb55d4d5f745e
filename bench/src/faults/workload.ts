import type { LoadClient, Sample } from "./client.ts";
import type { Ledger } from "./ledger.ts";
import { FORWARD, HOT_PRODUCTS, type MixTargets, nextRead } from "./read-mix.ts";

export interface WorkloadOptions {
  /** Closed-loop readers: each sends its next read when the last one answered. */
  readers: number;
  /** A price change and a status change are started this often (ms), whatever the answers do. */
  writeEveryMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const json = (token: string) => ({ authorization: `Bearer ${token}`, "content-type": "application/json" });

/**
 * Readers on every service, a manager re-pricing the hot products through either Shop, and an operator
 * moving the tracked orders forward in MES, until `stop()`. Writes are paced, not awaited one by one, so
 * a hung dependency does not stop them; one write per entity is in flight at a time.
 */
export class Workload {
  readonly samples: Sample[] = [];
  /** Orders a 409 showed to be ahead of the ledger (a write answered 503 that landed later): left alone. */
  readonly #skipped = new Set<number>();
  #running = true;
  readonly #loops: Promise<void>[];
  readonly #writes = new Set<Promise<void>>();

  constructor(
    private readonly client: LoadClient,
    private readonly targets: MixTargets,
    private readonly ledger: Ledger,
    opts: WorkloadOptions,
  ) {
    this.#loops = [
      ...Array.from({ length: opts.readers }, () => this.#reader()),
      this.#writer(opts.writeEveryMs, () => this.#changePrice()),
      this.#writer(opts.writeEveryMs, () => this.#moveOrder()),
    ];
  }

  async stop(): Promise<Sample[]> {
    this.#running = false;
    await Promise.all(this.#loops);
    await Promise.all(this.#writes);
    return this.samples;
  }

  async #reader() {
    while (this.#running) {
      const op = nextRead(this.targets, this.ledger);
      const { answer, code, t0, t1 } = await this.client.send(op.url, { headers: op.headers });
      const ok = answer !== undefined && answer.status < 300;
      const old = ok ? op.stale?.(answer.body, t0) : undefined;
      const sample: Sample = { kind: "read", what: op.what, t0, t1, ok, stale: old !== undefined, outcome: code };
      this.samples.push(old ? { ...sample, missedByMs: old.missedByMs, staleEntities: old.entities } : sample);
      // A refused connection answers at once: without a pause the loop would spin on it.
      if (!answer) await sleep(20);
    }
  }

  async #writer(everyMs: number, write: () => Promise<void> | undefined) {
    for (let due = performance.now(); this.#running; due += everyMs) {
      const p = write();
      if (p) {
        this.#writes.add(p);
        void p.finally(() => this.#writes.delete(p));
      }
      await sleep(Math.max(0, due + everyMs - performance.now()));
    }
  }

  #changePrice(): Promise<void> | undefined {
    const id = 1 + Math.floor(Math.random() * HOT_PRODUCTS);
    const key = `p:${id}`;
    if (!this.ledger.claim(key)) return undefined;
    const price = this.ledger.nextValue();
    // Alternate Shops, as a load balancer would: a change through either must reach both.
    const s = price % this.targets.shops.length;
    const write: Write = { what: `price via Shop ${String.fromCharCode(65 + s)}`, key, value: price, method: "PATCH" };
    const url = `${this.targets.shops[s]}/products/${id}`;
    return this.#write(write, url, this.targets.tokens.manager, { priceCents: price }).then(() => {});
  }

  #moveOrder(): Promise<void> | undefined {
    const order = this.targets.orders[Math.floor(Math.random() * this.targets.orders.length)];
    if (!order || this.#skipped.has(order.id)) return undefined;
    const key = `o:${order.id}`;
    const next = (this.ledger.last(key) ?? 0) + 1;
    if (next >= FORWARD.length || !this.ledger.claim(key)) return undefined;
    const write: Write = { what: "status via MES", key, value: next, method: "POST" };
    const url = `${this.targets.mes}/orders/${order.id}/status`;
    return this.#write(write, url, this.targets.tokens.operator, { status: FORWARD[next] }).then((code) => {
      if (code === "409") this.#skipped.add(order.id);
    });
  }

  /** Sends one write, records it, and acknowledges its value in the ledger on a 200; resolves with its outcome. */
  async #write(w: Write, url: string, token: string, body: object): Promise<string> {
    try {
      const { answer, code, t0, t1 } = await this.client.send(url, {
        method: w.method,
        headers: json(token),
        body: JSON.stringify(body),
      });
      const ok = answer?.status === 200;
      if (ok) this.ledger.ack(w.key, w.value, t1);
      this.samples.push({ kind: "write", what: w.what, t0, t1, ok, stale: false, outcome: code });
      return code;
    } finally {
      this.ledger.release(w.key);
    }
  }
}

interface Write {
  what: string;
  key: string;
  value: number;
  method: "PATCH" | "POST";
}
