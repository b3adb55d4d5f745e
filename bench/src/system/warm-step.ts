import { Redis } from "ioredis";
import { scrape, sum } from "./metrics-scrape.ts";
import { runNode } from "./processes.ts";

const WARM_CLI = "services/launcher/src/warm-cli.ts";

export interface WarmStep {
  status: "ran" | "skipped" | "failed";
  /** Why it was skipped or how it failed; its own summary line when it ran. */
  message: string;
  products: number;
  seconds: number;
  /** The Shop's DB queries during the step: a deploy's cost, kept out of the scenario's figures. */
  dbQueries: number;
  /** Catalogue entries in Redis after it: the keys the rounds will not meet cold. */
  keysWarmed: number;
}

/**
 * The catalogue entries stored in Redis under a deployment's namespace, as the load generator names them
 * (`product:<id>`, `list:<category>:<limit>:<offset>`), whatever version prefix the Shop gives its keys.
 */
async function catalogueKeysInRedis(redisUrl: string, namespace: string): Promise<string[]> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    // Entries are stored as `<namespace>:shop:catalogue:{<key>}:d` (packages/cache, KeySpace.data).
    const prefix = `${namespace}:shop:catalogue:{`;
    const keys: string[] = [];
    for await (const batch of redis.scanStream({ match: `${prefix}*}:d`, count: 1000 }) as AsyncIterable<string[]>)
      for (const k of batch) {
        const key = k.slice(prefix.length, -3);
        const product = /(?:^|:)product:(\d+)$/.exec(key);
        const list = /(?:^|:)list:([^:]*):(\d+):(\d+):$/.exec(key);
        if (product) keys.push(`product:${product[1]}`);
        else if (list) keys.push(`list:${list[1]}:${list[2]}:${list[3]}`);
      }
    return keys;
  } finally {
    redis.disconnect();
  }
}

/**
 * Warms the cache-on Shop as a deploy would, with the launcher's warm command, before the catalogue's
 * rounds. Its queries are counted apart, and the keys it stored are returned so that the rounds' first
 * requests can be told from keys it already loaded.
 */
export async function runWarmStep(opts: {
  shopUrl: string;
  products: number;
  redisUrl: string;
  namespace: string;
}): Promise<{ step: WarmStep; keys: string[] }> {
  const step: WarmStep = {
    status: "skipped",
    message: "",
    products: opts.products,
    seconds: 0,
    dbQueries: 0,
    keysWarmed: 0,
  };
  const queries = async () => sum(await scrape(opts.shopUrl), "db_queries_total", 'service="shop"');
  const before = await queries();
  const started = performance.now();
  try {
    // Its own page count and concurrency, as a deploy would run it; a deadline that no sane warm-up meets.
    const args = ["--url", opts.shopUrl, "--products", String(opts.products), "--deadline", "300"];
    step.message = (await runNode([WARM_CLI, ...args])).trim();
    step.status = "ran";
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? "").trim();
    step.status = "failed";
    step.message = `${WARM_CLI} failed: ${stderr.split("\n").slice(-3).join(" ") || (err as Error).message}`;
  }
  step.seconds = (performance.now() - started) / 1000;
  step.dbQueries = (await queries()) - before;
  const keys = await catalogueKeysInRedis(opts.redisUrl, opts.namespace);
  step.keysWarmed = keys.length;
  return { step, keys };
}
