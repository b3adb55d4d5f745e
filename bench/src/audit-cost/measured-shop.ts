import { spawn } from "node:child_process";
import { join } from "node:path";
import { freePort } from "@printfab/testkit";
import { scrape, sum } from "../system/metrics-scrape.ts";
import { root, stopProcess, track } from "../system/processes.ts";

const launcher = join(root, "services/launcher/src/main.ts");

export interface MeasuredShop {
  url: string;
  stop(): Promise<void>;
}

/** A Shop alone, as deployed (cache on), on the given Redis namespace; the catalogue needs no other service. */
export async function startShop(env: Record<string, string>, namespace: string): Promise<MeasuredShop> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = track(
    spawn(process.execPath, ["--import", "tsx", launcher], {
      cwd: root,
      env: {
        ...env,
        SERVICE: "shop",
        CACHE: "on",
        CACHE_NAMESPACE: namespace,
        SHOP_PORT: String(port),
        LOG_LEVEL: "error",
        SEED: "off",
      },
      stdio: ["ignore", "ignore", "inherit"],
    }),
  );
  const shop = { url, stop: () => stopProcess(child) };
  const deadline = Date.now() + 60_000;
  // A page of the catalogue rather than /health: the Shop alone has no MES, which /health would report.
  const answers = () =>
    fetch(`${url}/products?limit=1`).then(
      (r) => r.ok,
      () => false,
    );
  while (!(await answers())) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await shop.stop();
      throw new Error(`the Shop did not start at ${url} (exit code ${child.exitCode})`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return shop;
}

const CATALOGUE = 'cache="shop_catalogue"';

/** The Shop's counters that the cost of its requests is read against. */
export interface ShopCounters {
  cpuSeconds: number;
  /** Read checks (the catalogue makes no writes). */
  checks: number;
  violations: number;
  loads: number;
  dbQueries: number;
  hits: number;
}

export async function shopCounters(url: string): Promise<ShopCounters> {
  const m = await scrape(url);
  return {
    cpuSeconds: sum(m, "process_cpu_seconds_total"),
    checks: sum(m, "cache_consistency_checks_total", 'check="read"'),
    violations: sum(m, "cache_consistency_violations_total"),
    loads: sum(m, "cache_consistency_loads_total"),
    dbQueries: sum(m, "db_queries_total", 'service="shop"'),
    // The catalogue cache's alone: the others are content-addressed, and their hits are never sampled.
    hits:
      sum(m, "cache_requests_total", CATALOGUE, 'result="hit_l1"') +
      sum(m, "cache_requests_total", CATALOGUE, 'result="hit_l2"'),
  };
}

export const counterDelta = (a: ShopCounters, b: ShopCounters): ShopCounters => ({
  cpuSeconds: b.cpuSeconds - a.cpuSeconds,
  checks: b.checks - a.checks,
  violations: b.violations - a.violations,
  loads: b.loads - a.loads,
  dbQueries: b.dbQueries - a.dbQueries,
  hits: b.hits - a.hits,
});
