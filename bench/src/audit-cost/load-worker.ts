// The load generator's own process: the same seeded catalogue mix to every Shop at once, each over its own
// connections; prints each Shop's requests and failures as JSON.
import { createRandom } from "@printfab/launcher";
import { runLoad } from "../system/load.ts";
import { catalogueMix } from "../system/scenarios.ts";

export interface CostLoadSpec {
  shops: string[];
  /** Closed loop: each Shop's connections, each sending its next request when the last one answered. */
  connections: number;
  durationMs: number;
  seed: number;
  productCount: number;
  categories: string[];
}

export interface CostLoadResult {
  requests: number;
  failed: number;
}

const spec = JSON.parse(process.argv[2] as string) as CostLoadSpec;
const results: CostLoadResult[] = await Promise.all(
  spec.shops.map(async (shop) => {
    const urls = { shop, crm: shop, mes: shop };
    const next = catalogueMix({ ...spec, urls }, new Set(), createRandom(spec.seed).next);
    const r = await runLoad(next, [{ name: "measured", connections: spec.connections, durationMs: spec.durationMs }]);
    return { requests: r.requests, failed: r.errors + r.non2xx };
  }),
);
process.stdout.write(`${JSON.stringify(results)}\n`);
