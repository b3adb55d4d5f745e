import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { createServiceApp, migrateServices, openInfrastructure, SERVICES } from "@printfab/launcher";
import type { MeshPool } from "@printfab/mesh";
import {
  type CacheFactory,
  createLogger,
  type Database,
  type HttpApp,
  loadConfig,
  type PlatformMetrics,
  type Role,
} from "@printfab/platform";
import type { ObjectStore } from "@printfab/storage";
import { createTestDatabase, startTestS3, TEST_REDIS_URL, TEST_SERVICE_ENV } from "@printfab/testkit";

export const TEST_SECRET = "printfab-test-secret-0123456789";

export interface TestSystemOptions {
  neighbourTimeoutMs?: number;
  /** Where the Shop and the CRM find MES (default: this system's MES). */
  mesUrl?: string;
  uploadLimitBytes?: number;
  meshDeadlineMs?: number;
  /** Caching on a real Redis (the default), in process, or off. */
  cache?: "redis" | "memory" | "off";
  /** Shares the caches of another test system's processes (same Redis namespace). */
  cacheNamespace?: string;
  /** More settings, as environment variables (they win over the ones above). */
  env?: Record<string, string>;
}

export interface TestSystem {
  urls: { shop: string; crm: string; mes: string };
  db: Database;
  objectStore: ObjectStore;
  meshPool: MeshPool;
  caches: CacheFactory;
  /** The registry the services count in (db_queries_total, object_store_requests_total, ...). */
  metrics: PlatformMetrics;
  cacheNamespace: string;
  token(role: Role, sub?: string): string;
  /** Calls a service and returns status, parsed JSON body and headers. */
  call(url: string, init?: CallInit): Promise<CallResult>;
  stop(): Promise<void>;
}

interface CallInit {
  method?: string;
  token?: string;
  body?: unknown;
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
}
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers and assert on their shape
type CallResult = { status: number; body: any; headers: Headers };

const listen = async (app: HttpApp) => {
  await app.listen({ port: 0, host: "127.0.0.1" });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
};

/** The environment of a test system: real parts, loose client limits, quick relay. */
function testEnv(options: TestSystemOptions, databaseUrl: string, s3: Record<string, string>, namespace: string) {
  // TEST_CACHE=off runs the functional tests with caching off: the same code path minus the cache.
  const cache = options.cache ?? (process.env.TEST_CACHE === "off" ? "off" : "redis");
  return {
    ...s3,
    DATABASE_URL: databaseUrl,
    AUTH_SECRET: TEST_SECRET,
    CACHE: cache === "off" ? "off" : "on",
    ...(cache === "redis" ? { REDIS_URL: TEST_REDIS_URL } : {}),
    CACHE_NAMESPACE: namespace,
    NEIGHBOUR_TIMEOUT_MS: String(options.neighbourTimeoutMs ?? 3000),
    BODY_LIMIT_MB: String((options.uploadLimitBytes ?? 20 * 1024 * 1024) / (1024 * 1024)),
    MESH_DEADLINE_MS: String(options.meshDeadlineMs ?? 20_000),
    MESH_THREADS: "1",
    MESH_MAX_UNCOMPRESSED_MB: "16",
    OUTBOX_RELAY_INTERVAL_MS: "100",
    // A busy CI machine is not an overload to shed, and one test client is not many.
    HTTP_MAX_EVENT_LOOP_DELAY_MS: "0",
    UPLOAD_RATE_PER_MINUTE: "100000",
    UPLOAD_CONCURRENCY_PER_CLIENT: "1000",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    ...TEST_SERVICE_ENV,
    ...options.env,
  };
}

/** Opens the launcher's infrastructure on a private PostgreSQL database and a private S3 API. */
async function openTestInfrastructure(options: TestSystemOptions) {
  const database = await createTestDatabase();
  const s3 = await startTestS3();
  const s3Env = {
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: s3.bucket,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
  };
  const namespace = options.cacheNamespace ?? `t${randomBytes(5).toString("hex")}`;
  const env = testEnv(options, database.url, s3Env, namespace);
  const logger = createLogger(env.LOG_LEVEL);
  const infra = await openInfrastructure(loadConfig(env), logger);
  await migrateServices(infra.db, SERVICES);
  const release = async () => {
    await infra.close();
    await s3.stop();
    await database.drop();
  };
  return { env, logger, infra, namespace, release };
}

/**
 * The three services as the launcher wires them, on a real PostgreSQL database, a real S3 API and Redis
 * of their own, each listening on a free loopback port, migrated and empty.
 */
export async function startTestSystem(options: TestSystemOptions = {}): Promise<TestSystem> {
  const { env, logger, infra, namespace, release } = await openTestInfrastructure(options);
  const apps: HttpApp[] = [];
  const start = async (name: "shop" | "crm" | "mes", extra: Record<string, string>) => {
    const app = await createServiceApp(name, loadConfig({ ...env, ...extra }), infra, logger);
    apps.push(app);
    return listen(app);
  };
  const mes = await start("mes", {});
  const mesUrl = options.mesUrl ?? mes;
  const urls = { mes, shop: await start("shop", { MES_URL: mesUrl }), crm: await start("crm", { MES_URL: mesUrl }) };
  return {
    urls,
    db: infra.db,
    objectStore: infra.objectStore,
    meshPool: infra.meshPool,
    caches: infra.caches,
    metrics: infra.metrics,
    cacheNamespace: namespace,
    token: (role, sub) => infra.auth.sign({ role, sub: sub ?? (role === "customer" ? "1" : `${role}-1`) }),
    call: (url, init) => call(url, init),
    async stop() {
      await Promise.all(apps.map((a) => a.close()));
      await release();
    },
  };
}

async function call(url: string, init: CallInit = {}): Promise<CallResult> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  let body: string | Buffer | undefined = init.rawBody;
  if (init.body !== undefined) body = JSON.stringify(init.body);
  if (body !== undefined) headers["content-type"] ??= "application/json";
  const res = await fetch(url, { method: init.method ?? "GET", headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed, headers: res.headers };
}
