import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrateServices, openInfrastructure, SERVICES } from "@printfab/launcher";
import { createAuth, createLogger, loadConfig } from "@printfab/platform";
import {
  createTestDatabase,
  freePort,
  metricSum,
  ServiceProcess,
  SseClient,
  startAll,
  startRedisServer,
} from "@printfab/testkit";

const SECRET = "printfab-events-bench-secret-0123";
const log = (s: string) => process.stderr.write(`${s}\n`);
/** The forward path after `created`: each wave moves every order one step. */
const STEPS = ["approved", "printing", "post_processing", "packed", "shipped", "delivered"];
/** Under the per-customer cap (16): a customer with several tabs and devices. */
const STREAMS_PER_ORDER = 10;

export interface EventsBenchOptions {
  /** Open streams in the big phase (default 1000), spread over `shops` Shop processes. */
  streams: number;
  shops: number;
  out: string;
}

interface Phase {
  streams: number;
  changes: number;
  /** Per change: the last of its streams' arrivals, from the change's acknowledgement (ms; < 0: before it). */
  fromAck: number[];
  /** The same, from the moment the change was sent. */
  fromSend: number[];
  dbQueriesPerChange: number;
}

interface Rig {
  mes: ServiceProcess;
  shops: ServiceProcess[];
  token(role: "customer" | "operator" | "service", sub: string): string;
  close(): Promise<void>;
}

/** A private database and Redis, MES and the Shops as processes (as `npm start` runs them), migrated, empty. */
async function startRig(shops: number): Promise<Rig> {
  const closers: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch((err) => log(`  teardown: ${(err as Error).message}`));
  };
  try {
    const database = await createTestDatabase();
    closers.push(database.drop);
    const redis = await startRedisServer();
    closers.push(() => redis.stop());
    const dataDir = await mkdtemp(join(tmpdir(), "printfab-events-"));
    closers.push(() => rm(dataDir, { recursive: true, force: true }));
    const env = {
      PATH: process.env.PATH ?? "",
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      DATA_DIR: dataDir,
      AUTH_SECRET: SECRET,
      SEED: "off",
      MESH_THREADS: "1",
      LOG_LEVEL: "error",
      HTTP_MAX_EVENT_LOOP_DELAY_MS: "0",
      CACHE_NAMESPACE: `events${Date.now().toString(36)}`,
    };
    const infra = await openInfrastructure(loadConfig({ ...env, CACHE: "off" }), createLogger("warn"));
    await migrateServices(infra.db, SERVICES).finally(() => infra.close());
    const mesPort = await freePort();
    const mes = ServiceProcess.of("mes", mesPort, env);
    const shopProcesses: ServiceProcess[] = [];
    for (let i = 0; i < shops; i++) {
      shopProcesses.push(
        ServiceProcess.of("shop", await freePort(), { ...env, MES_URL: `http://127.0.0.1:${mesPort}` }, `shop-${i}`),
      );
    }
    closers.push(() => Promise.all([mes, ...shopProcesses].map((p) => p.stop())));
    log(`starting MES and ${shops} Shop process(es)...`);
    await startAll([mes, ...shopProcesses]);
    const auth = createAuth(SECRET);
    return { mes, shops: shopProcesses, token: (role, sub) => auth.sign({ role, sub }), close };
  } catch (err) {
    await close();
    throw err;
  }
}

async function call(url: string, token: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

/** The number of status events a client has seen. */
const seen = (c: SseClient) => c.events.filter((e) => e.event === "status").length;

/**
 * One phase: `orders` orders of as many customers, `perOrder` streams on each (spread over the Shops),
 * then every order moved through the lifecycle, one change at a time; each change's latency is when the
 * last of its streams got it.
 */
async function phase(rig: Rig, orders: number, perOrder: number, firstCustomer: number): Promise<Phase> {
  const ids: number[] = [];
  for (let i = 0; i < orders; i++) {
    const placed = await call(`${rig.mes.url}/orders`, rig.token("service", "shop"), {
      customerId: firstCustomer + i,
      items: [{ productId: 1, productName: "Gear", quantity: 1, unitPriceCents: 100 }],
    });
    if (placed.status !== 201) throw new Error(`placing an order: ${placed.status}`);
    ids.push((placed.json as { id: number }).id);
  }
  const streams: SseClient[][] = [];
  for (let i = 0; i < orders; i++) {
    const token = rig.token("customer", String(firstCustomer + i));
    const mine = await Promise.all(
      Array.from({ length: perOrder }, (_, k) => {
        const shop = rig.shops[(i * perOrder + k) % rig.shops.length] as ServiceProcess;
        return SseClient.open(`${shop.url}/orders/${ids[i]}/events`, { authorization: `Bearer ${token}` });
      }),
    );
    if (mine.some((c) => c.status !== 200)) throw new Error(`a stream was refused: ${mine.map((c) => c.status)}`);
    streams.push(mine);
  }
  const all = streams.flat();
  for (const c of all) await c.until(() => seen(c) === 1, 30_000, "the replay");
  log(`  ${all.length} streams open; ${orders * STEPS.length} changes, one at a time`);
  const processes = [rig.mes, ...rig.shops];
  const queries = () =>
    metricSum(processes, "db_queries_total", 'service="mes"').then(
      async (mes) => mes + (await metricSum(processes, "db_queries_total", 'service="shop"')),
    );
  const before = await queries();
  const fromAck: number[] = [];
  const fromSend: number[] = [];
  const operator = rig.token("operator", "bench");
  // One change at a time: its latency is the path's (commit, invalidation, publish, fan-out), not a queue
  // of changes waiting for MES's connections.
  for (const [step, status] of STEPS.entries()) {
    for (const [i, id] of ids.entries()) {
      const mine = streams[i] as SseClient[];
      const sent = performance.now();
      const res = await call(`${rig.mes.url}/orders/${id}/status`, operator, { status });
      if (res.status !== 200) throw new Error(`moving order ${id} to ${status}: ${res.status}`);
      const acked = performance.now();
      for (const c of mine) await c.until(() => seen(c) === step + 2, 30_000, `order ${id} ${status}`);
      const last = Math.max(...mine.map((c) => arrivalOf(c, step + 2)));
      fromAck.push(last - acked);
      fromSend.push(last - sent);
    }
  }
  const dbQueriesPerChange = ((await queries()) - before) / (orders * STEPS.length);
  for (const c of all) c.close();
  return { streams: all.length, changes: orders * STEPS.length, fromAck, fromSend, dbQueriesPerChange };
}

/** When a client's `n`th status event arrived. */
function arrivalOf(c: SseClient, n: number): number {
  let count = 0;
  for (const [i, e] of c.events.entries()) if (e.event === "status" && ++count === n) return c.arrivals[i] as number;
  throw new Error("event not arrived");
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};
const ms = (x: number) => x.toFixed(1);

function report(one: Phase, many: Phase, shops: number, startedAt: string): string {
  const row = (p: Phase) =>
    `| ${p.streams} | ${p.changes} | ${ms(pct(p.fromAck, 50))} | ${ms(pct(p.fromAck, 99))} | ${ms(Math.max(...p.fromAck))} | ${ms(pct(p.fromSend, 50))} | ${ms(pct(p.fromSend, 99))} | ${ms(Math.max(...p.fromSend))} | ${p.dbQueriesPerChange.toFixed(2)} |`;
  return [
    "# Order status by push (Server-Sent Events)",
    "",
    `Run ${startedAt}: \`npm run bench -- events\`. MES and ${shops} Shop process(es) on a private PostgreSQL database and`,
    "a private redis-server; the streams are `GET /orders/:id/events` on the Shops, opened by the bench's own",
    `process (node:http), ${STREAMS_PER_ORDER} per order (one customer's tabs) in the big phase. Every order is moved`,
    `through ${STEPS.length} statuses, one change at a time (\`POST /orders/:id/status\` on MES), every stream open.`,
    "",
    "A change's latency is when the last of its order's streams received it, measured from the change's",
    "acknowledgement (negative: the push arrived before the answer, which MES sends after publishing) and",
    "from the moment the change was sent. DB queries per change: `db_queries_total` of MES and the Shops",
    "(the outbox relay's polling excluded) over the changes, divided by their number.",
    "",
    "| open streams | changes | from ack p50 (ms) | p99 | max | from send p50 (ms) | p99 | max | DB queries per change |",
    "|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    row(one),
    row(many),
    "",
  ].join("\n");
}

export async function runEventsBench(o: EventsBenchOptions): Promise<void> {
  const startedAt = new Date().toISOString();
  const rig = await startRig(o.shops);
  try {
    log("phase 1: one stream");
    const one = await phase(rig, 1, 1, 1);
    log(`phase 2: ${o.streams} streams`);
    const many = await phase(rig, Math.ceil(o.streams / STREAMS_PER_ORDER), STREAMS_PER_ORDER, 1000);
    const text = report(one, many, o.shops, startedAt);
    process.stdout.write(text);
    await writeFile(join(o.out, "events.md"), text);
    log(`report: ${join(o.out, "events.md")}`);
  } finally {
    await rig.close();
  }
}
