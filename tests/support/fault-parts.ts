import { randomBytes } from "node:crypto";
import {
  createTestDatabase,
  type FaultProxy,
  type RedisServer,
  startFaultProxy,
  startRedisServer,
  startTestS3,
  TEST_POSTGRES_URL,
} from "@printfab/testkit";
import { TEST_SECRET } from "./test-system.ts";

export interface FaultPartsOptions {
  /** PostgreSQL is reached through a fault proxy (`parts.postgres`). */
  postgresProxy?: boolean;
  /** The S3 API is reached through a fault proxy (`parts.s3`). */
  s3Proxy?: boolean;
  /** Caches on a private redis-server the test may pause or kill (`parts.redis`), not the shared one. */
  privateRedis?: boolean;
  /** More settings (deadlines...), in every environment made from these parts. */
  env?: Record<string, string>;
}

export interface FaultParts {
  /**
   * The settings that point services at these parts: give them to `startTestSystem({ env })` and to any
   * extra instance, so they all share one database, one object store, one Redis and one cache namespace.
   */
  env: Record<string, string>;
  /** The private database without the proxy: the truth, readable while the proxy is paused. */
  directDatabaseUrl: string;
  postgres?: FaultProxy;
  s3?: FaultProxy;
  redis?: RedisServer;
  close(): Promise<void>;
}

const proxiedUrl = (url: string, proxy: FaultProxy) => {
  const u = new URL(url);
  u.hostname = "127.0.0.1";
  u.port = String(proxy.port);
  return u.toString();
};

/**
 * Real PostgreSQL, S3 and Redis with a fault point in front of whichever the test names. The test system
 * makes a database and an s3rver of its own, but their URLs are not exposed: the ones made here win
 * through `env`, and the system's own stay unused.
 */
export async function openFaultParts(options: FaultPartsOptions = {}): Promise<FaultParts> {
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    const database = await createTestDatabase();
    closers.push(database.drop);
    const s3 = await startTestS3();
    closers.push(s3.stop);
    const admin = new URL(TEST_POSTGRES_URL);
    const postgres = options.postgresProxy
      ? await startFaultProxy({ host: admin.hostname, port: Number(admin.port || 5432) })
      : undefined;
    const s3Proxy = options.s3Proxy ? await startFaultProxy({ port: Number(new URL(s3.endpoint).port) }) : undefined;
    const redis = options.privateRedis ? await startRedisServer() : undefined;
    for (const p of [postgres, s3Proxy]) if (p) closers.push(() => p.close());
    if (redis) closers.push(redis.stop);
    const env: Record<string, string> = {
      DATABASE_URL: postgres ? proxiedUrl(database.url, postgres) : database.url,
      S3_ENDPOINT: s3Proxy ? s3Proxy.url("http") : s3.endpoint,
      S3_BUCKET: s3.bucket,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      ...(redis ? { REDIS_URL: redis.url } : {}),
      CACHE: "on",
      CACHE_NAMESPACE: `f${randomBytes(5).toString("hex")}`,
      AUTH_SECRET: TEST_SECRET,
      MESH_THREADS: "1",
      // A busy CI machine is not an overload to shed.
      HTTP_MAX_EVENT_LOOP_DELAY_MS: "0",
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
      ...options.env,
    };
    return { env, directDatabaseUrl: database.url, postgres, s3: s3Proxy, redis, close };
  } catch (err) {
    await close();
    throw err;
  }
}
