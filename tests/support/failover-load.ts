import { Ledger } from "../../bench/src/faults/ledger.ts";
import type { TestSystem } from "./test-system.ts";
import { sleep } from "./waiting.ts";

/** One request of the load: what it read (a price per product it showed), when, and whether it was answered. */
interface Sample {
  kind: "read" | "write";
  startedAt: number;
  endedAt: number;
  ok: boolean;
  /** Prices seen, by ledger key (`p<id>`): one for a product page, one per hot product on a list page. */
  seen: Array<[string, number]>;
}

/** What a failover did to the load; times are relative to the fault. */
export interface FailoverVerdict {
  requests: number;
  /** Unanswered or 5xx, and of those, how many fell outside the window. */
  failed: number;
  failedOutsideWindow: number;
  /** From the fault until the new master served (ms). */
  windowMs: number;
  /** Reads begun later than 250 ms after the new master served that showed an older price than acknowledged. */
  staleAfterWindow: number;
  /** Writes acknowledged inside the window: their invalidations were in flight while the master changed. */
  ackedInWindow: number;
  /** Acknowledged prices that readers do not see at the end. */
  lostWrites: string[];
  /** The Shop's /health ok again (breaker closed, bus confirmed, nothing owed), and its pages hits again. */
  cacheBackInUse: boolean;
}

const key = (id: number) => `p${id}`;

/**
 * Readers of product pages and list pages through the Shop, and one writer changing the hot products' prices
 * through the API, each acknowledged write recorded in a ledger (prices only rise, so a read is stale when
 * it shows less than what was acknowledged before it began).
 */
export class FailoverLoad {
  readonly ledger = new Ledger();
  readonly samples: Sample[] = [];
  #running = true;
  readonly #loops: Promise<void>[];

  constructor(
    private readonly sys: TestSystem,
    private readonly hot: number[],
    private readonly category: string,
    readers = 4,
  ) {
    this.#loops = [this.#writer(), ...Array.from({ length: readers }, (_, i) => this.#reader(i))];
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }

  /** Every hot product's page and the list page, as readers see them once all is quiet. */
  async finalPrices(): Promise<Map<string, number[]>> {
    const out = new Map<string, number[]>();
    const add = (k: string, v: number) => out.set(k, [...(out.get(k) ?? []), v]);
    for (const id of this.hot) for (const [k, v] of (await this.#page(id)).seen) add(k, v);
    for (const [k, v] of (await this.#list()).seen) add(k, v);
    return out;
  }

  /** Judges the load against the fault (`faultAt`) and the moment the new master served (`servingAt`). */
  async verdict(faultAt: number, servingAt: number, marginMs: number): Promise<FailoverVerdict> {
    const windowEnd = servingAt + marginMs;
    const failed = this.samples.filter((s) => !s.ok);
    const late = this.samples.filter((s) => s.kind === "read" && s.ok && s.startedAt > servingAt + 250);
    const stale = late.filter((s) => s.seen.some(([k, v]) => this.ledger.missedBy(k, v, s.startedAt) !== undefined));
    const writes = this.samples.filter((s) => s.kind === "write" && s.ok);
    const final = await this.finalPrices();
    const lostWrites = [...this.ledger.latest()]
      .filter(([k, v]) => (final.get(k) ?? []).some((seen) => seen !== v))
      .map(([k, v]) => `${k}: acknowledged ${v}, seen ${final.get(k)?.join("/")}`);
    return {
      requests: this.samples.length,
      failed: failed.length,
      failedOutsideWindow: failed.filter((s) => s.endedAt < faultAt || s.startedAt > windowEnd).length,
      windowMs: Math.round(servingAt - faultAt),
      staleAfterWindow: stale.length,
      ackedInWindow: writes.filter((s) => s.endedAt >= faultAt && s.endedAt <= servingAt).length,
      lostWrites,
      cacheBackInUse: await this.#cacheBackInUse(),
    };
  }

  async #cacheBackInUse(): Promise<boolean> {
    const deadline = performance.now() + 5000;
    const page = `${this.sys.urls.shop}/products/${this.hot[0]}`;
    while (performance.now() < deadline) {
      const health = await this.sys.call(`${this.sys.urls.shop}/health`);
      await this.sys.call(page);
      const hit = /; hit/.test((await this.sys.call(page)).headers.get("cache-status") ?? "");
      if (health.body?.status === "ok" && hit) return true;
      await sleep(100);
    }
    return false;
  }

  async #writer() {
    const manager = this.sys.token("manager");
    for (let i = 0; this.#running; i++) {
      const id = this.hot[i % this.hot.length] as number;
      const price = this.ledger.nextValue();
      const startedAt = performance.now();
      const res = await this.sys
        .call(`${this.sys.urls.shop}/products/${id}`, { method: "PATCH", token: manager, body: { priceCents: price } })
        .catch(() => undefined);
      const endedAt = performance.now();
      if (res?.status === 200) this.ledger.ack(key(id), price, endedAt);
      this.samples.push({ kind: "write", startedAt, endedAt, ok: res?.status === 200, seen: [] });
      await sleep(20);
    }
  }

  async #reader(n: number) {
    for (let i = n; this.#running; i++) {
      const id = this.hot[i % this.hot.length] as number;
      this.samples.push(i % 3 === 0 ? await this.#list() : await this.#page(id));
      await sleep(5);
    }
  }

  async #page(id: number): Promise<Sample> {
    return this.#read(`/products/${id}`, (body) => [[key(id), body.priceCents]]);
  }

  async #list(): Promise<Sample> {
    return this.#read(`/products?category=${this.category}&limit=100`, (body) =>
      (body.items as Array<{ id: number; priceCents: number }>)
        .filter((p) => this.hot.includes(p.id))
        .map((p) => [key(p.id), p.priceCents]),
    );
  }

  // biome-ignore lint/suspicious/noExplicitAny: the answers' shapes are the routes' schemas
  async #read(path: string, prices: (body: any) => Array<[string, number]>): Promise<Sample> {
    const startedAt = performance.now();
    const res = await this.sys.call(`${this.sys.urls.shop}${path}`).catch(() => undefined);
    const ok = res?.status === 200;
    return { kind: "read", startedAt, endedAt: performance.now(), ok, seen: ok ? prices(res.body) : [] };
  }
}

/** Load before the fault, and after the new master served: enough for the caches to be hit and judged. */
const WARM_MS = 1000;
const AFTER_MS = 1500;

/**
 * Runs the load on a seeded system, injects the fault (`inject` resolves when the new master serves, and
 * says when the fault was made), and judges it. Hot products: up to five of the first category.
 */
export async function failoverUnderLoad(
  sys: TestSystem,
  inject: () => Promise<{ faultAt: number; servingAt: number }>,
  marginMs: number,
): Promise<FailoverVerdict> {
  const rows = await sys.db.query<{ id: number; category: string }>(
    "SELECT id, category FROM shop.products WHERE category = (SELECT min(category) FROM shop.products) ORDER BY id LIMIT 5",
  );
  const load = new FailoverLoad(
    sys,
    rows.map((r) => Number(r.id)),
    rows[0]?.category as string,
  );
  let times: { faultAt: number; servingAt: number };
  try {
    await sleep(WARM_MS);
    times = await inject();
    await sleep(AFTER_MS);
  } finally {
    await load.stop();
  }
  const verdict = await load.verdict(times.faultAt, times.servingAt, marginMs);
  console.info(`failover under load: ${JSON.stringify(verdict)}`);
  return verdict;
}

/** The guarantees every failover keeps: see tests/system/failover-*.test.ts. */
export function failoverHeld(v: FailoverVerdict) {
  return {
    failedOutsideWindow: v.failedOutsideWindow,
    staleAfterWindow: v.staleAfterWindow,
    lostWrites: v.lostWrites,
    writesAckedInWindow: v.ackedInWindow > 0,
    cacheBackInUse: v.cacheBackInUse,
  };
}
export const HELD = {
  failedOutsideWindow: 0,
  staleAfterWindow: 0,
  lostWrites: [],
  writesAckedInWindow: true,
  cacheBackInUse: true,
};
