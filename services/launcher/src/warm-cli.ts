import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { ProductPage } from "@printfab/contracts";
import { ConfigError, loadConfig } from "@printfab/platform";

/**
 * The largest list page the API serves: past the pages clients read, the catalogue is walked in these, as
 * each fills the product pages of its rows (a fifth of the queries of pages of 20).
 */
export const BULK_PAGE = 100;

const HELP = `Warms the Shop's catalogue cache, as the last step of a deploy: asks a running Shop for its first
list pages (the whole catalogue's and each category's) and its first product pages, so that the first
customers find them cached.

Usage: npm run warm -- [--url URL] [--pages N] [--products N] [--categories a,b] [--concurrency N] [--deadline S]

  --url URL          the Shop (default SHOP_URL, else http://127.0.0.1:<SHOP_PORT>: the embedded one)
  --pages N          list pages of the whole catalogue and of each category, at the API's page size (default 5)
  --products N       product pages: the first N by id (default 500); past the first --pages, the catalogue is
                     walked in pages of ${BULK_PAGE}, each filling its rows' product pages with one query
  --categories a,b   the categories to warm (default: those on the whole catalogue's pages it reads)
  --concurrency N    requests at once (default 8)
  --deadline S       asks nothing more after S seconds (default 60)

Progress goes to stderr, the summary to stdout. Exit status: 0 when every page was answered, 1 when the
Shop cannot be reached, a page failed or the deadline cut the run short, 2 for bad arguments.
`;

export interface WarmOptions {
  url: string;
  pages: number;
  products: number;
  /** The categories to warm; undefined: those found on the whole catalogue's pages. */
  categories: string[] | undefined;
  concurrency: number;
  deadlineMs: number;
}

/**
 * One page to ask for: a list page (of a category, or of the whole catalogue; at the API's page size unless
 * `limit` says otherwise) or a product page.
 */
export type WarmTask =
  | { kind: "list"; category?: string; offset: number; limit?: number }
  | { kind: "product"; id: number };
type ListTask = Extract<WarmTask, { kind: "list" }>;

/** A mistake on the command line (exit status 2). */
export class UsageError extends Error {}

function wholeNumber(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be from ${min} to ${max}`);
  return n;
}

/** The options of a command line, or "help"; the default URL comes from the environment's configuration. */
export function parseWarmArgs(argv: string[], env: NodeJS.ProcessEnv): WarmOptions | "help" {
  const string = { type: "string" } as const;
  const options = { url: string, pages: string, products: string, categories: string, concurrency: string };
  const { values } = parseArgs({
    args: argv,
    options: { ...options, deadline: string, help: { type: "boolean", short: "h" } },
  });
  if (values.help) return "help";
  const url = values.url ?? loadConfig(env, { requireSecret: false }).urls.shop;
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new UsageError(`--url: '${url}'`);
  return {
    url,
    pages: wholeNumber("pages", values.pages, 5, 1, 1000),
    products: wholeNumber("products", values.products, 500, 0, 1_000_000),
    categories: values.categories?.split(",").filter(Boolean),
    concurrency: wholeNumber("concurrency", values.concurrency, 8, 1, 256),
    deadlineMs: wholeNumber("deadline", values.deadline, 60, 1, 86_400) * 1000,
  };
}

/** The path of a task: list pages at the API's default page size (the one clients ask for) unless told. */
export function taskPath(t: WarmTask): string {
  if (t.kind === "product") return `/products/${t.id}`;
  const query = new URLSearchParams();
  if (t.category !== undefined) query.set("category", t.category);
  if (t.limit !== undefined) query.set("limit", String(t.limit));
  if (t.offset > 0) query.set("offset", String(t.offset));
  return query.size > 0 ? `/products?${query}` : "/products";
}

/**
 * What to ask for, learnt as answers come: the whole catalogue's first page gives the page size and the
 * total, its pages give the product ids in id order and the categories, a category's first page its total.
 */
export class WarmPlan {
  readonly #seen = new Set<string>();

  constructor(private readonly o: Pick<WarmOptions, "pages" | "products" | "categories">) {}

  /** The whole catalogue's first page first: it also tells whether the Shop answers at all. */
  start(): WarmTask[] {
    const given = (this.o.categories ?? []).map((category): WarmTask => ({ kind: "list", category, offset: 0 }));
    return [{ kind: "list", offset: 0 }, ...given];
  }

  /**
   * The tasks a list page's answer adds: the rest of its listing's first pages, product pages, categories.
   * A list page the Shop just `filled` filled its rows' product pages too: those are not asked again.
   */
  afterList(task: ListTask, page: Pick<ProductPage, "items" | "total" | "limit">, filled = false): WarmTask[] {
    const whole = task.category === undefined;
    const more: WarmTask[] = [];
    if (task.offset === 0 && task.limit === undefined) {
      const last = Math.min(this.o.pages, Math.ceil(page.total / page.limit));
      for (let p = 1; p < last; p++) more.push({ ...task, offset: p * page.limit });
      // The rest of the first --products ids, in the largest pages, for the product pages they fill.
      const end = whole ? Math.min(this.o.products, page.total) : 0;
      for (let offset = last * page.limit; offset < end; offset += BULK_PAGE)
        more.push({ kind: "list", offset, limit: BULK_PAGE });
    }
    if (!whole) return more;
    page.items.forEach((item, i) => {
      if (!filled && task.offset + i < this.o.products) more.push({ kind: "product", id: item.id });
      if (this.o.categories || this.#seen.has(item.category)) return;
      this.#seen.add(item.category);
      more.push({ kind: "list", category: item.category, offset: 0 });
    });
    return more;
  }
}

/** What a `Cache-Status` says the Shop did: served it warm, filled a miss, or neither (not stored, bypass). */
export function cacheOutcome(header: string | null): "hit" | "filled" | "other" {
  if (/; hit\b/.test(header ?? "")) return "hit";
  return /; fwd=miss; stored\b/.test(header ?? "") ? "filled" : "other";
}

export interface WarmSummary {
  requests: number;
  hits: number;
  filled: number;
  /** Answered, but neither a hit nor a stored miss (caching off, or the fill was refused). */
  notStored: number;
  failed: number;
  /** Not asked, or cut short, when the deadline came. */
  skipped: number;
  elapsedMs: number;
  /** What the first few failures were. */
  errors: string[];
}

/** The Shop did not answer the first request at all. */
export class ShopUnreachableError extends Error {}

export function summaryLine(url: string, s: WarmSummary): string {
  const seconds = s.elapsedMs / 1000;
  const parts = [`${s.filled} misses filled`, `${s.hits} already cached`, `${s.failed} failed`];
  if (s.notStored > 0) parts.splice(2, 0, `${s.notStored} not stored`);
  if (s.skipped > 0) parts.push(`${s.skipped} cut by the deadline`);
  const rate = s.requests / Math.max(seconds, 0.001);
  return `warmed ${url}: ${s.requests} requests in ${seconds.toFixed(1)} s (${rate.toFixed(0)}/s): ${parts.join(", ")}`;
}

export type WarmProgress = (done: number, planned: number, elapsedMs: number) => void;

/** An answer other than 200. */
class AnswerError extends Error {}

/** One warm-up: the plan, the queue of what is left to ask, and the tally. */
class WarmRun {
  readonly #tally = { requests: 0, hits: 0, filled: 0, notStored: 0, failed: 0, skipped: 0, errors: [] as string[] };
  readonly #queue: WarmTask[] = [];
  readonly #started = performance.now();
  readonly #deadline: AbortSignal;
  readonly #plan: WarmPlan;
  #active = 0;

  constructor(
    private readonly o: WarmOptions,
    private readonly progress: WarmProgress,
  ) {
    this.#deadline = AbortSignal.timeout(o.deadlineMs);
    this.#plan = new WarmPlan(o);
  }

  async run(): Promise<WarmSummary> {
    const [first, ...given] = this.#plan.start();
    this.#queue.push(...given);
    try {
      this.#queue.unshift(...(await this.#ask(first as WarmTask)));
    } catch (err) {
      if (!(err instanceof AnswerError) && !this.#deadline.aborted) throw unreachable(this.o.url, err);
      this.#failed(err);
    }
    await this.#drain();
    this.#tally.skipped += this.#queue.length;
    return { ...this.#tally, elapsedMs: performance.now() - this.#started };
  }

  /** Runs the queue, `concurrency` tasks at once; a task's follow-ups join the queue. */
  #drain(): Promise<void> {
    return new Promise((resolve) => {
      const pump = () => {
        while (this.#active < this.o.concurrency && this.#queue.length > 0 && !this.#deadline.aborted) {
          this.#ask(this.#queue.shift() as WarmTask)
            .catch((err) => {
              this.#failed(err);
              return [];
            })
            .then((more) => {
              this.#queue.push(...more);
              pump();
            });
        }
        if (this.#active === 0) resolve();
      };
      pump();
    });
  }

  async #ask(task: WarmTask): Promise<WarmTask[]> {
    this.#active++;
    try {
      const path = taskPath(task);
      const res = await fetch(new URL(path, this.o.url), { signal: this.#deadline });
      const body = await res.text();
      if (res.status !== 200) throw new AnswerError(`${path} answered ${res.status}`);
      const outcome = cacheOutcome(res.headers.get("cache-status"));
      this.#tally.requests++;
      if (outcome === "hit") this.#tally.hits++;
      else if (outcome === "filled") this.#tally.filled++;
      else this.#tally.notStored++;
      if (task.kind !== "list") return [];
      return this.#plan.afterList(task, JSON.parse(body) as ProductPage, outcome === "filled");
    } finally {
      this.#active--;
      this.#report();
    }
  }

  #failed(err: unknown) {
    if (this.#deadline.aborted) this.#tally.skipped++;
    else if (++this.#tally.failed <= 5) this.#tally.errors.push((err as Error).message);
    this.#report();
  }

  #report() {
    const { requests, failed, skipped } = this.#tally;
    const done = requests + failed + skipped;
    if (done === 0) return;
    this.progress(done, done + this.#active + this.#queue.length, performance.now() - this.#started);
  }
}

function unreachable(url: string, err: unknown): ShopUnreachableError {
  const cause = (err as Error).cause as { code?: string; message?: string } | undefined;
  const why = cause?.code ?? cause?.message ?? (err as Error).message;
  return new ShopUnreachableError(`the Shop at ${url} cannot be reached (${why})`);
}

/**
 * Asks the Shop for the plan's pages, `concurrency` at a time, until done or the deadline. Rejects with
 * `ShopUnreachableError` when the first request gets no answer at all.
 */
export function warm(o: WarmOptions, progress: WarmProgress = () => {}): Promise<WarmSummary> {
  return new WarmRun(o, progress).run();
}

/** Progress on stderr: a line rewritten in place on a terminal, a line every 2 s otherwise. */
function stderrProgress(): WarmProgress & { end(): void } {
  const tty = process.stderr.isTTY === true;
  let last = Number.NEGATIVE_INFINITY;
  let line = "";
  const report = (done: number, planned: number, elapsedMs: number) => {
    line = `warm: ${done}/${planned} pages, ${(done / Math.max(elapsedMs / 1000, 0.001)).toFixed(0)}/s`;
    if (elapsedMs - last < (tty ? 200 : 2000)) return;
    last = elapsedMs;
    process.stderr.write(tty ? `\r${line}` : `${line}\n`);
  };
  return Object.assign(report, { end: () => process.stderr.write(tty ? `\r${line}\n` : `${line}\n`) });
}

async function main() {
  let options: WarmOptions | "help";
  try {
    options = parseWarmArgs(process.argv.slice(2), process.env);
  } catch (err) {
    const badArgs = String((err as { code?: string }).code).startsWith("ERR_PARSE_ARGS");
    if (!(err instanceof UsageError || err instanceof ConfigError || badArgs)) throw err;
    process.stderr.write(`${(err as Error).message}\nSee 'npm run warm -- --help'.\n`);
    process.exit(2);
  }
  if (options === "help") {
    process.stdout.write(HELP);
    return;
  }
  const progress = stderrProgress();
  const summary = await warm(options, progress);
  progress.end();
  for (const e of summary.errors) process.stderr.write(`warm: ${e}\n`);
  process.stdout.write(`${summaryLine(options.url, summary)}\n`);
  process.exitCode = summary.failed + summary.skipped > 0 ? 1 : 0;
}

// Imported by its tests, run by `npm run warm`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    process.stderr.write(`warm: ${err instanceof ShopUnreachableError ? err.message : (err as Error).stack}\n`);
    process.exit(1);
  });
}
