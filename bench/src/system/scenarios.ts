import { readFileSync } from "node:fs";
import { createAuth } from "@printfab/platform";
import type { Call, LoadResult, Phase } from "./load.ts";
import { runLoad } from "./load.ts";
import { zipf } from "./zipf.ts";

export interface ScenarioSpec {
  scenario: "catalogue" | "orders" | "spike" | "cold" | "quotes" | "models";
  quick: boolean;
  /** The catalogue's short unmeasured run before its rounds (JIT, connection pools), not a round. */
  warmUp?: boolean;
  /**
   * Services whose /metrics the load generator reads right before its first request: their event-loop
   * histograms restart at each read, so the next read covers this load and nothing before it.
   */
  scrapeFirst?: string[];
  urls: { shop: string; crm: string; mes: string };
  secret: string;
  productCount: number;
  categories: string[];
  /** Orders of the order-tracking scenario: created ones, which operators move forward. */
  orders: Array<{ id: number; customerId: number }>;
  /** Paths of model files for the quotes scenario. */
  modelFiles: string[];
  /** A unique string, so that the cold-start URL is cold in each run. */
  runId: string;
}

export type ScenarioResult = LoadResult & {
  extra: Record<string, number>;
  /** The catalogue's distinct entries requested: `product:<id>` (a preview reads it too) and `list:<category>:20:<offset>`. */
  keys?: string[];
};

const FORWARD = ["created", "approved", "printing", "post_processing", "packed", "shipped", "delivered"];

/** The share of the catalogue's requests that download a product's model file (the 3D view). */
export const MODEL_DOWNLOAD_SHARE = 0.05;

/**
 * The catalogue's next request: Zipf (s = 1.1) product pages (55%), model files (5%), list pages (25%) and
 * previews (15%). It notes the cache entries it asks for in `keys`, so that the bench can tell first
 * requests from repeats (a model download and a preview read the product's page first).
 */
export function catalogueMix(
  spec: Pick<ScenarioSpec, "productCount" | "categories" | "urls">,
  keys: Set<string>,
  random: () => number = Math.random,
): () => Call {
  const product = zipf(spec.productCount, 1.1, random);
  const page = zipf(20, 1.1, random);
  const category = zipf(spec.categories.length, 1.1, random);
  return () => {
    const u = random();
    if (u >= 0.6 && u < 0.85) {
      const c = spec.categories[category()];
      const offset = page() * 20;
      keys.add(`list:${c}:20:${offset}`);
      return { url: `${spec.urls.shop}/products?category=${c}&limit=20&offset=${offset}` };
    }
    const id = product() + 1;
    keys.add(`product:${id}`);
    const tail = u < 0.6 - MODEL_DOWNLOAD_SHARE ? "" : u < 0.6 ? "/model" : "/preview.png";
    return { url: `${spec.urls.shop}/products/${id}${tail}` };
  };
}

async function catalogue(spec: ScenarioSpec, durationMs: number): Promise<ScenarioResult> {
  const keys = new Set<string>();
  const r = await runLoad(catalogueMix(spec, keys), [
    { name: spec.warmUp ? "warm-up" : "measured", connections: 32, durationMs },
  ]);
  return { ...r, extra: {}, keys: [...keys] };
}

/**
 * Model downloads alone (Zipf over the products, the 3D view's file), so that the object store's GETs can
 * be divided by downloads and nothing else.
 */
async function modelDownloads(spec: ScenarioSpec, durationMs: number): Promise<ScenarioResult> {
  const product = zipf(spec.productCount, 1.1);
  const r = await runLoad(
    () => ({ url: `${spec.urls.shop}/products/${product() + 1}/model` }),
    [{ name: "measured", connections: 16, durationMs }],
  );
  return { ...r, extra: {} };
}

/** A catalogue round's length, or its unmeasured warm-up's. */
export const catalogueSeconds = (quick: boolean, warmUp = false) => (warmUp ? (quick ? 2 : 4) : quick ? 5 : 12);

export async function runScenario(spec: ScenarioSpec): Promise<ScenarioResult> {
  const seconds = (full: number, quick: number) => (spec.quick ? quick : full) * 1000;
  switch (spec.scenario) {
    case "catalogue":
      return catalogue(spec, catalogueSeconds(spec.quick, spec.warmUp) * 1000);
    case "spike": {
      const hot = zipf(10, 1.1);
      const product = zipf(spec.productCount, 1.1);
      const steady = seconds(10, 5);
      // Open loop: arrivals do not slow down when the system does, as in a real spike.
      // Within what two cores can serve with the load generator on them too: the burst tests absorption,
      // not the machine's ceiling (CACHE=off already drowns at this rate).
      const rate = 300;
      const phases: Phase[] = [
        { name: "steady", connections: 0, rate, durationMs: steady },
        { name: "burst x10", connections: 0, rate: rate * 10, durationMs: steady },
        { name: "steady again", connections: 0, rate, durationMs: steady },
      ];
      // The burst goes to the hottest products; steady traffic browses the whole catalogue.
      const t0 = performance.now();
      const inBurst = () => {
        const t = performance.now() - t0;
        return t >= steady && t < 2 * steady;
      };
      const r = await runLoad(
        () => ({ url: `${spec.urls.shop}/products/${(inBurst() ? hot() : product()) + 1}` }),
        phases,
      );
      return { ...r, extra: {} };
    }
    case "cold": {
      const url = `${spec.urls.shop}/products?q=cold${spec.runId}&limit=3`;
      const r = await runLoad(
        () => ({ url }),
        [{ name: "1000 concurrent", connections: 1000, requestsPerConnection: 1 }],
      );
      return { ...r, extra: {} };
    }
    case "quotes": {
      const files = spec.modelFiles.map((f) => readFileSync(f));
      const pick = zipf(files.length, 1.1);
      const r = await runLoad(
        () => ({
          url: `${spec.urls.shop}/quotes?material=PLA&infill=0.2&layerHeight=0.2&quantity=1`,
          method: "POST",
          headers: { "content-type": "application/octet-stream" },
          body: files[pick()] as Buffer,
        }),
        [{ name: "measured", connections: 8, durationMs: seconds(15, 6) }],
      );
      return { ...r, extra: {} };
    }
    case "orders":
      return orderTracking(spec, seconds(20, 8));
    case "models":
      return modelDownloads(spec, seconds(6, 3));
  }
}

/**
 * Customers poll their orders' status (Zipf over the tracked orders) while operators move 1% of the
 * requests' worth of orders forward. A stale read: a read that began after a change was acknowledged
 * and returned an earlier status.
 */
async function orderTracking(spec: ScenarioSpec, durationMs: number): Promise<ScenarioResult> {
  const auth = createAuth(spec.secret);
  const operator = `Bearer ${auth.sign({ sub: "bench-operator", role: "operator" }, 3600)}`;
  const tokens = new Map(
    spec.orders.map((o) => [
      o.customerId,
      `Bearer ${auth.sign({ sub: String(o.customerId), role: "customer" }, 3600)}`,
    ]),
  );
  const pick = zipf(spec.orders.length, 1.1);
  const acked = new Map<number, { index: number; at: number }>();
  const writing = new Set<number>();
  const statusOf = new Map(spec.orders.map((o) => [o.id, 0]));
  let n = 0;
  let reads = 0;
  let staleReads = 0;
  let writes = 0;
  const r = await runLoad((): Call => {
    const order = spec.orders[pick()] as { id: number; customerId: number };
    n++;
    const current = statusOf.get(order.id) ?? 0;
    if (n % 100 === 0 && !writing.has(order.id) && current + 1 < FORWARD.length) {
      writing.add(order.id);
      return {
        url: `${spec.urls.mes}/orders/${order.id}/status`,
        method: "POST",
        headers: { authorization: operator, "content-type": "application/json" },
        body: JSON.stringify({ status: FORWARD[current + 1] }),
        check: (status) => {
          writing.delete(order.id);
          if (status === 200) {
            writes++;
            statusOf.set(order.id, current + 1);
            acked.set(order.id, { index: current + 1, at: performance.now() });
          }
        },
      };
    }
    return {
      url: `${spec.urls.shop}/orders/${order.id}`,
      headers: { authorization: tokens.get(order.customerId) as string },
      check: (status, body, startedAt) => {
        if (status !== 200) return;
        reads++;
        const seen = FORWARD.indexOf((JSON.parse(body.toString()) as { status: string }).status);
        const ack = acked.get(order.id);
        if (ack && ack.at <= startedAt && seen < ack.index) staleReads++;
      },
    };
  }, [{ name: "measured", connections: 32, durationMs }]);
  return { ...r, extra: { reads, writes, staleReads } };
}
