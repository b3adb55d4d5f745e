import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SliceJob } from "@printfab/contracts";
import { box, MeshPool, toBinaryStl } from "@printfab/mesh";
import {
  acceptModelUploads,
  type CacheFactory,
  cacheTtls,
  createAuth,
  createCacheFactory,
  createHttpApp,
  createLogger,
  DEFAULT_EDGE,
  type HttpApp,
  loadConfig,
  meshTask,
  type Role,
} from "@printfab/platform";
import { createS3Store, type ObjectStore } from "@printfab/storage";
import { startTestS3, TEST_REDIS_URL, TEST_SERVICE_ENV, type TestS3 } from "@printfab/testkit";
import { afterAll, beforeAll } from "vitest";
import { ModelReads } from "../src/model-reads.ts";
import { modelRoutes } from "../src/routes/models.ts";
import { sliceRoutes } from "../src/routes/slices.ts";
import { createSlicing, type SlicingSettings } from "../src/slicing/create-slicing.ts";
import { detectSlicer, type SlicerInstall } from "../src/slicing/slicer-probe.ts";
import type { Slicing } from "../src/slicing/slicing.ts";

/**
 * What the slicing tests share; importing it registers their setup and teardown. Slicing with the real
 * PrusaSlicer, real Redis (shared by two "instances") and a real S3 API (s3rver). A stand-in slicer (a
 * shell script that never finishes) is used only where a slice must outlast the test's actions:
 * deadlines, cancellation, queue limits, shutdown.
 */
const auth = createAuth("mes-slicing-test-secret");
export const logger = createLogger("silent");
export const token = (role: Role) => auth.sign({ role, sub: role === "customer" ? "1" : `${role}-1` });
export const namespace = `t${randomBytes(4).toString("hex")}`;
export const cube = toBinaryStl(box(20, 20, 20));

let s3: TestS3;
export let work: string;
export let realSlicer: SlicerInstall;
export const s3Gets = { n: 0 };
export const factories: CacheFactory[] = [];
const apps: HttpApp[] = [];
let meshPool: MeshPool;
export let objects: ObjectStore;

interface Instance {
  app: HttpApp;
  slicing: Slicing;
}

/** One MES "instance": its own caches (on the shared Redis, or in process) and slicing, the shared S3. */
export async function instance(settings: SlicingSettings = {}, redis = true): Promise<Instance> {
  const config = loadConfig({
    ...TEST_SERVICE_ENV,
    CACHE_NAMESPACE: namespace,
    ...(redis ? { REDIS_URL: TEST_REDIS_URL } : {}),
  });
  const caches = await createCacheFactory(config, logger);
  factories.push(caches);
  const models = await ModelReads.create(caches, cacheTtls(config.ttl), meshPool);
  const slicing = await createSlicing({
    caches,
    objects,
    analyze: async (m) => (await models.analysis(m)).value,
    geometry: (m) => meshTask(meshPool.stl(m)),
    logger,
    analysisTtlMs: 60_000,
    settings: { install: realSlicer, tmpRoot: work, waitPollMs: 50, ...settings },
  });
  // No event-loop guard: a busy test machine must not turn these requests into 503s.
  const edge = { ...DEFAULT_EDGE, maxEventLoopDelayMs: 0 };
  const app = await createHttpApp({ service: "mes", description: "slicing under test", logger, auth, edge });
  acceptModelUploads(app);
  await app.register(modelRoutes, { auth, models, slices: slicing, uploadLimitBytes: 10_000_000 });
  await app.register(sliceRoutes, { auth, slicing, uploadLimitBytes: 10_000_000 });
  app.addHook("onClose", async () => slicing.close());
  apps.push(app);
  return { app, slicing };
}

export const post = (
  app: HttpApp,
  body: Buffer | object,
  query = "material=PLA&layerHeight=0.3&infill=0.2",
  role: Role = "operator",
) =>
  app.inject({
    method: "POST",
    url: `/slices?${query}`,
    headers: {
      authorization: `Bearer ${token(role)}`,
      "content-type": Buffer.isBuffer(body) ? "application/octet-stream" : "application/json",
    },
    payload: Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
export const get = async (app: HttpApp, id: string, role: Role = "operator") =>
  app.inject({ method: "GET", url: `/slices/${id}`, headers: { authorization: `Bearer ${token(role)}` } });

/** Polls a job until it has finished (bounded: a cube slices in well under a second). */
export async function finished(app: HttpApp, id: string): Promise<SliceJob> {
  for (let i = 0; i < 600; i++) {
    const job = (await get(app, id)).json() as SliceJob;
    if (!["queued", "running"].includes(job.state)) return job;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${id} did not finish`);
}

/** A stand-in slicer that starts a child and never finishes; it writes its pids where the test reads them. */
export async function stuckSlicer(name: string): Promise<{ install: SlicerInstall; pids: () => Promise<number[]> }> {
  const pidFile = join(work, `${name}.pids`);
  const script = join(work, `${name}.sh`);
  await writeFile(script, `#!/bin/sh\necho $$ >> ${pidFile}\nsleep 60 &\necho $! >> ${pidFile}\nwait\n`);
  await chmod(script, 0o755);
  const pids = async () => (await readFile(pidFile, "utf8").catch(() => "")).split("\n").filter(Boolean).map(Number);
  return { install: { version: `stuck-${name}`, command: [script], isolated: false }, pids };
}

export const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export async function until(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The slice folders left in the test's temporary root (the stand-ins' scripts and pid files aside). */
export const sliceDirs = async () => (await readdir(work)).filter((f) => f.startsWith("printfab-slice-"));

beforeAll(async () => {
  const found = await detectSlicer();
  if (!found) throw new Error("prusa-slicer is required by these tests (apt-get install prusa-slicer)");
  realSlicer = found;
  work = await mkdtemp(join(tmpdir(), "printfab-slicing-test-"));
  s3 = await startTestS3();
  objects = createS3Store({ ...s3, countRequest: (op) => void (op === "get" && s3Gets.n++) });
  await objects.ensureReady();
  meshPool = new MeshPool({
    threads: 1,
    deadlineMs: 10_000,
    maxTriangles: 1_000_000,
    maxUncompressedBytes: 50_000_000,
  });
});

afterAll(async () => {
  for (const a of apps) await a.close();
  for (const f of factories) await f.close();
  await meshPool?.close();
  await s3?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});
