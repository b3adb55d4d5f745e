import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { createCrmApp } from "@printfab/crm";
import { migrateServices, SERVICES } from "@printfab/launcher";
import { createMesApp } from "@printfab/mes";
import { MeshPool } from "@printfab/mesh";
import {
  type CacheFactory,
  createAuth,
  createCacheFactory,
  createLogger,
  createPostgresDriver,
  Database,
  DEFAULT_EDGE,
  type EdgeSettings,
  type HttpApp,
  loadConfig,
  type Role,
} from "@printfab/platform";
import { createShopApp } from "@printfab/shop";
import { createS3Store, type ObjectStore } from "@printfab/storage";
import { createTestDatabase, type TestDatabase } from "./test-database.ts";
import { startTestS3, type TestS3 } from "./test-s3.ts";

export const TEST_SECRET = "printfab-test-secret-0123456789";
/** The Redis tests cache on; each test system uses a namespace of its own on it. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export interface TestSystem {
  urls: { shop: string; crm: string; mes: string };
  db: Database;
  objectStore: ObjectStore;
  meshPool: MeshPool;
  caches: CacheFactory;
  cacheNamespace: string;
  token(role: Role, sub?: string): string;
  /** Calls a service and returns status, parsed JSON body and headers. */
  call(
    url: string,
    init?: {
      method?: string;
      token?: string;
      body?: unknown;
      rawBody?: string | Buffer;
      headers?: Record<string, string>;
    },
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers and assert on their shape
  ): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

const listen = async (app: HttpApp) => {
  await app.listen({ port: 0, host: "127.0.0.1" });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
};

/**
 * The three services on their own real PostgreSQL database and a real S3 API, each listening on a free
 * loopback port, migrated and empty.
 */
export async function startTestSystem(
  options: {
    neighbourTimeoutMs?: number;
    mesUrl?: string;
    uploadLimitBytes?: number;
    meshDeadlineMs?: number;
    /** Caching on a real Redis (the default), in process, or off. */
    cache?: "redis" | "memory" | "off";
    /** Shares the caches of another test system's processes (same Redis namespace). */
    cacheNamespace?: string;
    /** Client limits; by default loose enough that tests uploading many files are not limited. */
    edge?: Partial<EdgeSettings>;
  } = {},
): Promise<TestSystem> {
  const database: TestDatabase = await createTestDatabase();
  const s3: TestS3 = await startTestS3();
  const db = new Database(createPostgresDriver(database.url, 10), "test");
  const objectStore = createS3Store(s3);
  await objectStore.ensureReady();
  await migrateServices(db, SERVICES);
  const auth = createAuth(TEST_SECRET);
  const logger = createLogger(process.env.TEST_LOG_LEVEL ?? "silent");
  const neighbourTimeoutMs = options.neighbourTimeoutMs ?? 3000;

  const cacheNamespace = options.cacheNamespace ?? `t${randomBytes(5).toString("hex")}`;
  // TEST_CACHE=off runs the functional tests with caching off: the same code path minus the cache.
  const cacheMode = options.cache ?? (process.env.TEST_CACHE === "off" ? "off" : "redis");
  const config = loadConfig({
    CACHE: cacheMode === "off" ? "off" : "on",
    REDIS_URL: cacheMode === "redis" ? TEST_REDIS_URL : undefined,
    CACHE_NAMESPACE: cacheNamespace,
  });
  const caches = await createCacheFactory(config, logger);
  const edge: EdgeSettings = {
    ...DEFAULT_EDGE,
    // A busy CI machine is not an overload to shed, and one test client is not many.
    maxEventLoopDelayMs: 0,
    uploadRatePerMinute: 100_000,
    uploadConcurrencyPerClient: 1_000,
    ...options.edge,
  };
  const common = { auth, logger, caches, ttl: config.ttl, edge };
  const meshPool = new MeshPool({
    threads: 1,
    deadlineMs: options.meshDeadlineMs ?? 20_000,
    maxUncompressedBytes: 16 * 1024 * 1024,
  });
  const uploadLimitBytes = options.uploadLimitBytes ?? 20 * 1024 * 1024;
  const mes = await createMesApp({
    ...common,
    db: db.forService("mes"),
    meshPool,
    uploadLimitBytes,
    relay: { intervalMs: 100 },
  });
  const mesUrl = await listen(mes);
  const shop = await createShopApp({
    ...common,
    db: db.forService("shop"),
    objectStore,
    mesUrl: options.mesUrl ?? mesUrl,
    neighbourTimeoutMs,
    meshPool,
    uploadLimitBytes,
    quoteTimeoutMs: 30_000,
  });
  const crm = await createCrmApp({
    ...common,
    db: db.forService("crm"),
    mesUrl: options.mesUrl ?? mesUrl,
    neighbourTimeoutMs,
  });
  const urls = { shop: await listen(shop), crm: await listen(crm), mes: mesUrl };

  return {
    urls,
    db,
    objectStore,
    meshPool,
    caches,
    cacheNamespace,
    token: (role, sub) => auth.sign({ role, sub: sub ?? (role === "customer" ? "1" : `${role}-1`) }),
    async call(url, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      if (init.token) headers.authorization = `Bearer ${init.token}`;
      let body: string | Buffer | undefined = init.rawBody;
      if (init.body !== undefined) {
        body = JSON.stringify(init.body);
        headers["content-type"] ??= "application/json";
      } else if (body !== undefined) {
        headers["content-type"] ??= "application/json";
      }
      const res = await fetch(url, { method: init.method ?? "GET", headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {}
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async stop() {
      await Promise.all([shop.close(), crm.close(), mes.close()]);
      await meshPool.close();
      await caches.close();
      await db.close();
      await s3.stop();
      await database.drop();
    },
  };
}
