import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createServiceApp, demoModels, migrateServices, openInfrastructure } from "@printfab/launcher";
import { toBinaryStl } from "@printfab/mesh";
import { createLogger, type HttpApp, loadConfig } from "@printfab/platform";
import { spread, table } from "../stats.ts";

export interface SlicingBenchOptions {
  redisUrl: string;
  /** Cached requests per model (the median is reported). */
  repeats: number;
  out: string;
}

const OPTIONS = "material=PLA&layerHeight=0.2&infill=0.2";

interface Row {
  model: string;
  triangles: number;
  coldMs: number;
  cachedMs: number;
  s3GetsPerCached: number;
  heuristicH: number;
  slicerH: number;
}

/**
 * The demo catalogue's models (services/launcher/src/seed.ts) through a real MES (in process, on Redis and
 * a folder as the object store): each sliced cold, then asked again `repeats` times; the heuristic quote
 * before the slicing and the slicer's quote after it. The slicer must be installed.
 */
export async function runSlicingBench(o: SlicingBenchOptions): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), "printfab-bench-slicing-"));
  const config = loadConfig({
    DATA_DIR: dataDir,
    REDIS_URL: o.redisUrl,
    CACHE_NAMESPACE: `bench-slicing-${randomBytes(4).toString("hex")}`,
    HTTP_MAX_EVENT_LOOP_DELAY_MS: "0",
    UPLOAD_RATE_PER_MINUTE: "1000000",
  });
  const logger = createLogger("warn");
  const infra = await openInfrastructure(config, logger);
  let app: HttpApp | undefined;
  try {
    await migrateServices(infra.db, ["mes"]);
    app = await createServiceApp("mes", config, infra, logger);
    const rows = await measureModels(
      app,
      infra.auth.sign({ role: "operator", sub: "bench" }),
      infra.metrics.registry,
      o,
    );
    const report = slicingReport(rows, o.repeats);
    process.stdout.write(`${report}\n`);
    await writeFile(join(o.out, "slicing.md"), report);
  } finally {
    await app?.close();
    await infra.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The metrics registry, as far as this reads it. */
interface Registry {
  getSingleMetric(name: string): unknown;
}

/** Object-store GETs so far, from the services' own `object_store_requests_total`. */
async function s3Gets(registry: Registry): Promise<number> {
  const metric = registry.getSingleMetric("object_store_requests_total") as
    | { get(): Promise<{ values: Array<{ value: number; labels: Record<string, string> }> }> }
    | undefined;
  const values = (await metric?.get())?.values ?? [];
  return values.filter((v) => v.labels.op === "get").reduce((n, v) => n + v.value, 0);
}

async function measureModels(app: HttpApp, token: string, registry: Registry, o: SlicingBenchOptions): Promise<Row[]> {
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/octet-stream" };
  const send = (url: string, payload: Buffer) => app.inject({ method: "POST", url, headers, payload });
  const rows: Row[] = [];
  for (const [i, mesh] of demoModels().entries()) {
    const model = toBinaryStl(mesh);
    const heuristic = (await send(`/quotes?${OPTIONS}`, model)).json();
    if (heuristic.estimator !== "heuristic") throw new Error(`model ${i}: already sliced (${heuristic.estimator})`);
    const started = performance.now();
    const posted = await send(`/slices?${OPTIONS}`, model);
    if (posted.statusCode !== 202)
      throw new Error(`model ${i}: POST /slices answered ${posted.statusCode} ${posted.body}`);
    await untilDone(app, token, posted.json().id);
    const coldMs = performance.now() - started;
    const gets = await s3Gets(registry);
    const cached: number[] = [];
    for (let r = 0; r < o.repeats; r++) {
      const t = performance.now();
      const again = await send(`/slices?${OPTIONS}`, model);
      cached.push(performance.now() - t);
      if (again.statusCode !== 200) throw new Error(`model ${i}: a repeated slice answered ${again.statusCode}`);
    }
    const s3PerCached = ((await s3Gets(registry)) - gets) / o.repeats;
    const sliced = (await send(`/quotes?${OPTIONS}`, model)).json();
    if (sliced.estimator !== "slicer") throw new Error(`model ${i}: the quote after slicing is ${sliced.estimator}`);
    rows.push({
      model: `#${i + 1}`,
      triangles: mesh.triangleCount,
      coldMs,
      cachedMs: spread(cached).median,
      s3GetsPerCached: s3PerCached,
      heuristicH: heuristic.quote.printTimeHours,
      slicerH: sliced.quote.printTimeHours,
    });
    process.stderr.write(
      `model ${i + 1}: cold ${coldMs.toFixed(0)} ms, cached ${spread(cached).median.toFixed(2)} ms\n`,
    );
  }
  return rows;
}

async function untilDone(app: HttpApp, token: string, id: string): Promise<void> {
  for (;;) {
    const job = (
      await app.inject({ method: "GET", url: `/slices/${id}`, headers: { authorization: `Bearer ${token}` } })
    ).json();
    if (job.state === "done") return;
    if (job.state !== "queued" && job.state !== "running")
      throw new Error(`slice ${id}: ${job.state} ${JSON.stringify(job.error)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const pct = (h: number, s: number) => ((h - s) / s) * 100;

function slicingReport(rows: Row[], repeats: number): string {
  const errors = rows.map((r) => pct(r.heuristicH, r.slicerH));
  const meanAbs = errors.reduce((a, e) => a + Math.abs(e), 0) / errors.length;
  const worst = errors.reduce((w, e) => (Math.abs(e) > Math.abs(w) ? e : w), 0);
  const cold = spread(rows.map((r) => r.coldMs));
  const cached = spread(rows.map((r) => r.cachedMs));
  const body = table(
    [
      "model",
      "triangles",
      "cold (ms)",
      "cached (ms)",
      "cold / cached",
      "S3 GETs per cached",
      "heuristic (h)",
      "slicer (h)",
      "heuristic error",
    ],
    rows.map((r) => [
      r.model,
      r.triangles,
      r.coldMs.toFixed(0),
      r.cachedMs.toFixed(2),
      `${Math.round(r.coldMs / r.cachedMs)}x`,
      r.s3GetsPerCached.toFixed(2),
      r.heuristicH.toFixed(2),
      r.slicerH.toFixed(2),
      `${pct(r.heuristicH, r.slicerH) >= 0 ? "+" : ""}${pct(r.heuristicH, r.slicerH).toFixed(0)}%`,
    ]),
  );
  return `# Slicing: cold vs cached, heuristic vs slicer

\`npm run bench -- slicing\`, ${new Date().toISOString()}: the ${rows.length} demo models of the seed
(services/launcher/src/seed.ts) as binary STL, PLA, 0.2 mm layers, 20% infill, through one MES in process
(Redis, a folder as the object store). Cold: from \`POST /slices\` to the job seen done (polled every
10 ms). Cached: \`POST /slices\` again, the median of ${repeats}. Print times in hours as the quotes give them
(rounded to 0.01 h); the error is the heuristic's relative to the slicer.

${body}

Cold median ${cold.median.toFixed(0)} ms [${cold.min.toFixed(0)}-${cold.max.toFixed(0)}], cached median
${cached.median.toFixed(2)} ms [${cached.min.toFixed(2)}-${cached.max.toFixed(2)}]: ${Math.round(cold.median / cached.median)}x.
Heuristic print time vs the slicer's: mean absolute error ${meanAbs.toFixed(0)}%, worst ${worst >= 0 ? "+" : ""}${worst.toFixed(0)}%.
`;
}
