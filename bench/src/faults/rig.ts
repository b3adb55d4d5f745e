import { migrateServices, openInfrastructure, SERVICES, seed, seedModels } from "@printfab/launcher";
import { createLogger, loadConfig } from "@printfab/platform";
import {
  createTestDatabase,
  type FaultProxy,
  freePort,
  type RedisServer,
  ServiceProcess,
  startFaultProxy,
  startRedisServer,
  startTestS3,
  TEST_POSTGRES_URL,
} from "@printfab/testkit";
import pg from "pg";
import { AUDIT_ENV } from "./auditor-figures.ts";

export const SECRET = "printfab-faults-secret-0123456789";
/** Deadlines of the hung dependencies, small so a 3 s fault is well past them. */
export const DEADLINES = { DATABASE_TIMEOUT_MS: "1000", S3_TIMEOUT_MS: "1000", SHUTDOWN_TIMEOUT_MS: "5000" };
const SIZES = { products: 2000, customers: 200, orders: 4000 };

export interface Rig {
  /** A private Redis: the faults freeze and kill it. */
  redis: RedisServer;
  /** Between every service and PostgreSQL. */
  postgres: FaultProxy;
  /** Between the Shops and MES and the S3 API. */
  s3: FaultProxy;
  /** Between Shop B and Redis, and nothing else: its bus alone goes half-open. */
  busB: FaultProxy;
  services: { mes: ServiceProcess; crm: ServiceProcess; shopA: ServiceProcess; shopB: ServiceProcess };
  /** The services' CACHE_NAMESPACE: their keys in the private Redis start with it. */
  cacheNamespace: string;
  /** The database without the proxy: the truth, readable while the proxy holds everything. */
  db: pg.Client;
  /** Orders still `created`, which the operator moves forward. */
  orders: Array<{ id: number; customerId: number }>;
  close(): Promise<void>;
}

const log = (s: string) => process.stderr.write(`${s}\n`);

/** Migrates and seeds the private database and store directly (not through the proxies). */
async function seedData(env: Record<string, string>) {
  const infra = await openInfrastructure(loadConfig({ ...env, CACHE: "off" }), createLogger("warn"));
  try {
    await migrateServices(infra.db, SERVICES);
    await seed(infra.db, SIZES);
    await seedModels(infra.db, infra.objectStore, infra.meshPool);
  } finally {
    await infra.close();
  }
}

const behind = (url: string, proxy: FaultProxy) => {
  const u = new URL(url);
  u.hostname = "127.0.0.1";
  u.port = String(proxy.port);
  return u.toString();
};

/**
 * Everything on 127.0.0.1: PostgreSQL (a fresh database), s3rver, a private Redis, four service processes.
 * `redisEnv` (REDIS_SENTINELS..., REDIS_CLUSTER_NODES) puts every service on another deployment instead:
 * the configuration prefers it to REDIS_URL, so the private Redis and Shop B's proxy then carry nothing.
 */
export async function startRig(redisEnv: Record<string, string> = {}): Promise<Rig> {
  const closers: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch((err) => log(`  teardown: ${(err as Error).message}`));
  };
  try {
    const database = await createTestDatabase();
    closers.push(database.drop);
    const s3 = await startTestS3("printfab-faults");
    closers.push(s3.stop);
    const redis = await startRedisServer();
    closers.push(async () => {
      redis.resume();
      await redis.stop();
    });
    const store = {
      S3_BUCKET: s3.bucket,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      AUTH_SECRET: SECRET,
      MESH_THREADS: "1",
      LOG_LEVEL: "error",
    };
    log("seeding a fresh database (2,000 products, 4,000 orders, models and previews)...");
    await seedData({ ...store, DATABASE_URL: database.url, S3_ENDPOINT: s3.endpoint });
    const pgTarget = new URL(TEST_POSTGRES_URL);
    const postgres = await startFaultProxy({ host: pgTarget.hostname, port: Number(pgTarget.port || 5432) });
    const s3Proxy = await startFaultProxy({ port: Number(new URL(s3.endpoint).port) });
    const busB = await startFaultProxy({ port: redis.port });
    for (const p of [postgres, s3Proxy, busB]) closers.push(() => p.close());
    const cacheNamespace = `faults${Date.now().toString(36)}`;
    const env = {
      ...store,
      ...DEADLINES,
      PATH: process.env.PATH ?? "",
      DATABASE_URL: behind(database.url, postgres),
      S3_ENDPOINT: s3Proxy.url("http"),
      REDIS_URL: redis.url,
      CACHE_NAMESPACE: cacheNamespace,
      SEED: "off",
      HOST: "127.0.0.1",
      // A saturated 2-core machine under a benchmark is the point, not an overload to shed.
      HTTP_MAX_EVENT_LOOP_DELAY_MS: "0",
      ...AUDIT_ENV,
      ...redisEnv,
    };
    const ports = { mes: await freePort(), crm: await freePort(), shopA: await freePort(), shopB: await freePort() };
    const services = makeServices(env, busB, ports);
    // Registered before they start, so a failed start leaves no process behind.
    closers.push(() => Promise.all(Object.values(services).map((s) => s.stop())));
    log("starting MES, CRM and two Shops as processes...");
    await services.mes.start();
    await Promise.all([services.crm.start(), services.shopA.start(), services.shopB.start()]);
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    closers.push(() => db.end());
    const orders = (
      await db.query("SELECT id, customer_id FROM mes.orders WHERE status = 'created' ORDER BY id LIMIT 1000")
    ).rows.map((r) => ({ id: Number(r.id), customerId: Number(r.customer_id) }));
    return { redis, postgres, s3: s3Proxy, busB, services, cacheNamespace, db, orders, close };
  } catch (err) {
    await close();
    throw err;
  }
}

type Ports = { mes: number; crm: number; shopA: number; shopB: number };

/** MES, CRM and two Shops on free ports; Shop B reaches Redis through its own proxy. */
function makeServices(env: Record<string, string>, busB: FaultProxy, port: Ports): Rig["services"] {
  const url = (p: number) => `http://127.0.0.1:${p}`;
  const base = { ...env, MES_URL: url(port.mes) };
  const make = (name: string, service: string, p: number, extra: Record<string, string> = {}) =>
    new ServiceProcess(name, url(p), {
      ...base,
      SERVICE: service,
      [`${service.toUpperCase()}_PORT`]: String(p),
      ...extra,
    });
  return {
    mes: make("MES", "mes", port.mes),
    crm: make("CRM", "crm", port.crm),
    shopA: make("Shop A", "shop", port.shopA),
    shopB: make("Shop B", "shop", port.shopB, { REDIS_URL: busB.url() }),
  };
}
