import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createLogger, type HttpApp, loadConfig } from "@printfab/platform";
import { freePort } from "@printfab/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seed } from "../src/seed.ts";
import { createServiceApp, type Infrastructure, migrateServices, openInfrastructure, SERVICES } from "../src/system.ts";
import {
  BULK_PAGE,
  cacheOutcome,
  parseWarmArgs,
  ShopUnreachableError,
  summaryLine,
  taskPath,
  type WarmOptions,
  WarmPlan,
  type WarmTask,
  warm,
} from "../src/warm-cli.ts";

const warmCli = fileURLToPath(new URL("../src/warm-cli.ts", import.meta.url));
const run = promisify(execFile);

describe("parseWarmArgs", () => {
  it("takes the defaults, the Shop's URL from the configuration, and each option", () => {
    expect(parseWarmArgs([], { SHOP_PORT: "4101" })).toEqual({
      url: "http://127.0.0.1:4101",
      pages: 5,
      products: 500,
      categories: undefined,
      concurrency: 8,
      deadlineMs: 60_000,
    });
    const argv = ["--url", "http://shop:80", "--pages", "2", "--products", "0", "--categories", "gears,tools"];
    expect(parseWarmArgs([...argv, "--concurrency", "3", "--deadline", "9"], {})).toEqual({
      url: "http://shop:80",
      pages: 2,
      products: 0,
      categories: ["gears", "tools"],
      concurrency: 3,
      deadlineMs: 9000,
    });
    expect(parseWarmArgs(["--help"], {})).toBe("help");
  });

  it("refuses numbers out of range, a URL that is not http, and unknown options", () => {
    for (const argv of [
      ["--pages", "0"],
      ["--concurrency", "1.5"],
      ["--deadline", "x"],
      ["--url", "ftp://shop"],
    ]) {
      expect(() => parseWarmArgs(argv, {}), argv.join(" ")).toThrow();
    }
    expect(() => parseWarmArgs(["--force"], {})).toThrow(/Unknown option/);
  });
});

describe("the plan", () => {
  const item = (id: number, category: string) => ({ id, category }) as never;

  it("asks the whole catalogue's first page first, and the first page of each category given", () => {
    expect(new WarmPlan({ pages: 2, products: 3, categories: ["gears"] }).start()).toEqual([
      { kind: "list", offset: 0 },
      { kind: "list", category: "gears", offset: 0 },
    ]);
  });

  it("follows the whole catalogue as far as its pages and products go, and each new category once", () => {
    const plan = new WarmPlan({ pages: 2, products: 250, categories: undefined });
    const first = plan.afterList(
      { kind: "list", offset: 0 },
      { items: [item(1, "a"), item(2, "b")], total: 300, limit: 2 },
    );
    // Its --pages at the API's size, then the rest of the first 250 ids in pages of BULK_PAGE.
    expect(first).toEqual([
      { kind: "list", offset: 2 },
      { kind: "list", offset: 4, limit: BULK_PAGE },
      { kind: "list", offset: 104, limit: BULK_PAGE },
      { kind: "list", offset: 204, limit: BULK_PAGE },
      { kind: "product", id: 1 },
      { kind: "list", category: "a", offset: 0 },
      { kind: "product", id: 2 },
      { kind: "list", category: "b", offset: 0 },
    ]);
    expect(taskPath(first[1] as WarmTask)).toBe(`/products?limit=${BULK_PAGE}&offset=4`);
    const second = plan.afterList(
      { kind: "list", offset: 4, limit: BULK_PAGE },
      { items: [item(3, "a"), item(4, "c")], total: 300, limit: BULK_PAGE },
    );
    expect(second).toEqual([
      { kind: "product", id: 3 },
      { kind: "product", id: 4 },
      { kind: "list", category: "c", offset: 0 },
    ]);
    const category = plan.afterList({ kind: "list", category: "a", offset: 0 }, { items: [], total: 9, limit: 2 });
    expect(category).toEqual([{ kind: "list", category: "a", offset: 2 }]);
  });

  it("does not ask again for the product pages that a list page it filled filled", () => {
    const plan = new WarmPlan({ pages: 1, products: 3, categories: ["a"] });
    const filled = plan.afterList(
      { kind: "list", offset: 0 },
      { items: [item(1, "a"), item(2, "a")], total: 2, limit: 2 },
      true,
    );
    expect(filled).toEqual([]);
  });

  it("asks a category's further pages up to --pages and its total", () => {
    const plan = new WarmPlan({ pages: 3, products: 0, categories: ["a"] });
    const more = plan.afterList({ kind: "list", category: "a", offset: 0 }, { items: [], total: 5, limit: 2 });
    expect(more.map(taskPath)).toEqual(["/products?category=a&offset=2", "/products?category=a&offset=4"]);
    expect(taskPath({ kind: "list", offset: 0 })).toBe("/products");
    expect(taskPath({ kind: "product", id: 7 })).toBe("/products/7");
  });

  it("reads what the Shop did from Cache-Status, and sums a run up", () => {
    expect(
      ["shop; hit; ttl=3", "shop; fwd=miss; stored", "shop; fwd=miss", "shop; fwd=bypass", null].map(cacheOutcome),
    ).toEqual(["hit", "filled", "other", "other", "other"]);
    const summary = {
      requests: 10,
      hits: 2,
      filled: 7,
      notStored: 1,
      failed: 0,
      skipped: 3,
      elapsedMs: 2000,
      errors: [],
    };
    expect(summaryLine("http://shop", summary)).toBe(
      "warmed http://shop: 10 requests in 2.0 s (5/s): 7 misses filled, 2 already cached, 1 not stored, 0 failed, 3 cut by the deadline",
    );
  });
});

describe("warming a running Shop", () => {
  let dataDir: string;
  let infra: Infrastructure;
  let shop: HttpApp;
  let url: string;
  let options: WarmOptions;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "printfab-warm-"));
    const env = { DATA_DIR: dataDir, MESH_THREADS: "1", SEED: "off", HTTP_MAX_EVENT_LOOP_DELAY_MS: "0" };
    const config = loadConfig(env, { requireSecret: false });
    const logger = createLogger("silent");
    infra = await openInfrastructure(config, logger);
    await migrateServices(infra.db, SERVICES);
    await seed(infra.db, { products: 60, customers: 1, orders: 0 });
    shop = await createServiceApp("shop", config, infra, logger);
    await shop.listen({ port: 0, host: "127.0.0.1" });
    url = `http://127.0.0.1:${(shop.server.address() as AddressInfo).port}`;
    options = { url, pages: 2, products: 30, categories: undefined, concurrency: 4, deadlineMs: 30_000 };
  }, 120_000);
  afterAll(async () => {
    await shop.close();
    await infra.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** The pages a run should ask: 2 of the whole catalogue, the first 30 products, each category seen. */
  async function expectedRequests() {
    const rows = await infra.db.query<{ category: string; n: number }>(
      `SELECT category, count(*)::int AS n FROM shop.products
       WHERE category IN (SELECT category FROM shop.products ORDER BY id LIMIT 40) GROUP BY category`,
    );
    return 2 + 30 + rows.reduce((sum, r) => sum + Math.min(2, Math.ceil(r.n / 20)), 0);
  }

  it("fills the first list pages (and so their product pages), then finds them all cached; clients hit them", async () => {
    const requests = await expectedRequests();
    const progress: number[][] = [];
    const first = await warm(options, (done, planned) => progress.push([done, planned]));
    // The list pages it fills fill their rows' product pages: those are not asked for.
    const lists = requests - 30;
    expect(first).toMatchObject({ requests: lists, filled: lists, hits: 0, failed: 0, skipped: 0 });
    expect(progress.at(-1)).toEqual([lists, lists]);
    expect(progress.every(([done, planned]) => (done as number) <= (planned as number))).toBe(true);
    const second = await warm(options);
    expect(second).toMatchObject({ requests, hits: requests, filled: 0 });
    for (const path of ["/products?category=gears", "/products?limit=20", "/products/30"]) {
      expect((await fetch(`${url}${path}`)).headers.get("cache-status"), path).toMatch(/^shop; hit/);
    }
  });

  it("counts failed pages, stops at the deadline, and knows a Shop that does not answer", async () => {
    const failing = await warm({ ...options, categories: ["Not A Slug"], products: 0, pages: 1 });
    expect(failing).toMatchObject({ requests: 1, failed: 1 });
    expect(failing.errors).toEqual(["/products?category=Not+A+Slug answered 400"]);
    const late = await warm({ ...options, deadlineMs: 1 });
    expect(late.skipped).toBeGreaterThan(0);
    const nobody = `http://127.0.0.1:${await freePort()}`;
    await expect(warm({ ...options, url: nobody })).rejects.toThrow(ShopUnreachableError);
  });

  it("as `npm run warm`: a summary on stdout, progress on stderr, and its exit status", async () => {
    const cli = (...args: string[]) =>
      run(process.execPath, ["--import", "tsx", warmCli, ...args]).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (err: { code: number; stdout: string; stderr: string }) => err,
      );
    const ok = await cli("--url", url, "--pages", "1", "--products", "5");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`^warmed ${url}: \\d+ requests in [\\d.]+ s \\(\\d+/s\\): .*0 failed\\n$`));
    expect(ok.stderr).toMatch(/^warm: \d+\/\d+ pages, \d+\/s$/m);
    const unreachable = await cli("--url", `http://127.0.0.1:${await freePort()}`);
    expect([unreachable.code, unreachable.stderr]).toEqual([
      1,
      expect.stringMatching(/cannot be reached \(ECONNREFUSED\)/),
    ]);
    const bad = await cli("--pages", "0");
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining("--pages must be from 1")]);
  }, 60_000);
});
