import type { AuditOptions } from "@printfab/cache";
import { type Env, EnvSchema } from "./config-schema.ts";
import type { SessionSettings } from "./session-routes.ts";
import type { TracingSettings } from "./tracing.ts";
import { makeAjv } from "./validation.ts";

/** The development secret: used only in the embedded demo when AUTH_SECRET is unset, and announced then. */
export const DEV_AUTH_SECRET = "printfab-dev-secret-do-not-use-in-production";

/**
 * Secrets still as the examples or the demo ship them: whoever read deploy/env or this code could sign
 * tokens or read /metrics. Refused outside the embedded demo, so an unedited env file fails at start.
 */
function placeholderSecrets(e: { AUTH_SECRET?: string; ADMIN_TOKEN?: string }): string[] {
  const secrets = { AUTH_SECRET: e.AUTH_SECRET, ADMIN_TOKEN: e.ADMIN_TOKEN };
  return Object.entries(secrets)
    .filter(([, v]) => v !== undefined && (/change-me/i.test(v) || v === DEV_AUTH_SECRET))
    .map(([name]) => `${name} is a placeholder (change-me) or the development secret: set a random one`);
}

const validateEnv = makeAjv(true, true).compile<Env>(EnvSchema);

export type ServiceName = "shop" | "crm" | "mes";

export interface Config {
  service: "all" | ServiceName;
  host: string;
  ports: Record<ServiceName, number>;
  urls: Record<ServiceName, string>;
  dataDir: string;
  databaseUrl: string | undefined;
  databasePoolSize: number;
  databaseTimeoutMs: number;
  s3:
    | {
        endpoint: string;
        bucket: string;
        region: string;
        accessKeyId: string;
        secretAccessKey: string;
        requestTimeoutMs: number;
      }
    | undefined;
  cacheEnabled: boolean;
  redis:
    | { kind: "standalone"; url: string }
    | { kind: "cluster"; nodes: Array<{ host: string; port: number }> }
    | { kind: "sentinel"; name: string; sentinels: Array<{ host: string; port: number }> }
    | undefined;
  redisCommandTimeoutMs: number;
  /** Prepended to every cache's key prefix, so that several Printfab deployments can share one Redis. */
  cacheNamespace: string;
  l1MaxBytes: number;
  /** The consistency auditor's rates and bounds, for every cache (docs/consistency.md). */
  cacheAudit: AuditOptions;
  /** Per-cache TTLs, in seconds. */
  ttl: { productList: number; product: number; model: number; order: number; customer: number; analysis: number };
  /** No DATABASE_URL and NODE_ENV is not `production`: the all-in-one demo, the only mode with a default secret. */
  embedded: boolean;
  authSecret: string;
  authSecretIsDefault: boolean;
  authMaxTokenLifetimeS: number;
  edge: EdgeSettings;
  meshMaxTriangles: number;
  meshMaxUncompressedBytes: number;
  outboxRelayIntervalMs: number;
  /** Model files up to this size are kept whole in the cache (bytes). */
  modelCacheMaxBytes: number;
  slicer: SlicerSettings;
  /** Server-Sent Events: heartbeat and limits. */
  eventStreams: { heartbeatMs: number; maxStreams: number; maxStreamsPerPrincipal: number };
  logLevel: string;
  bodyLimitBytes: number;
  meshThreads: number | undefined;
  meshDeadlineMs: number;
  neighbourTimeoutMs: number;
  shutdownTimeoutMs: number;
  shutdownGraceMs: number;
  seed: "auto" | "off";
  tracing: TracingSettings;
}

/** PrusaSlicer in MES: the executable (undefined: slicing off), its pool and the printer it slices for. */
export interface SlicerSettings {
  binary: string | undefined;
  processes: number;
  queueLength: number;
  perClientQueued: number;
  deadlineMs: number;
  printer: { volumeMm: [number, number, number]; nozzleMm: number };
}

/** What every HTTP service enforces on its clients, before any route runs. */
export interface EdgeSettings {
  /** The whole request, body included: a client sending one byte a second is cut off. */
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
  /** Above this event-loop delay the service answers 503 (0: never). */
  maxEventLoopDelayMs: number;
  /** Proxies whose X-Forwarded-For is believed, so that limits apply to the real client. */
  trustProxy: string | undefined;
  /** When set, /metrics, /docs and /health's details need `Authorization: Bearer <ADMIN_TOKEN>`. */
  adminToken: string | undefined;
  uploadRatePerMinute: number;
  uploadConcurrencyPerClient: number;
  /** The pages' sign-in: the session cookie's flags, and the embedded demo's "act as" sign-in. */
  sessions: SessionSettings;
}

export class ConfigError extends Error {
  readonly code = "invalid_config";

  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

const hostPorts = (list: string) =>
  list.split(",").map((hp) => {
    const [host, port] = hp.split(":");
    return { host: host as string, port: Number(port) };
  });

/** The variables of the schema that are set, empty ones as unset; coerced and defaulted by validation. */
function readEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const known = Object.keys(EnvSchema.properties);
  return Object.fromEntries(known.filter((k) => env[k] !== undefined && env[k] !== "").map((k) => [k, env[k]]));
}

function parseEnv(env: NodeJS.ProcessEnv): Env {
  const values = readEnv(env);
  if (validateEnv(values)) return values;
  const problems = new Map<string, string>();
  for (const err of validateEnv.errors ?? []) {
    const name = err.instancePath.slice(1);
    if (problems.has(name)) continue;
    const allowed = (err.params as { allowedValues?: unknown[] }).allowedValues;
    const what = allowed ? `must be one of ${allowed.join(", ")}` : err.message;
    const description = (EnvSchema.properties as Record<string, { description?: string }>)[name]?.description;
    problems.set(name, `${name}=${JSON.stringify(env[name] ?? "")}: ${what}${description ? ` (${description})` : ""}`);
  }
  throw new ConfigError([...problems.values()]);
}

/** Reads the configuration from the environment; every bad value is named in one ConfigError. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  options: { /** Tools that sign nothing (the seeder) run without a secret. */ requireSecret?: boolean } = {},
): Config {
  const e = parseEnv(env);
  const problems: string[] = [];
  let s3: Config["s3"];
  if (e.S3_ENDPOINT || e.S3_BUCKET) {
    if (!e.S3_ENDPOINT) problems.push("S3_BUCKET is set but S3_ENDPOINT is missing");
    if (!e.S3_BUCKET) problems.push("S3_ENDPOINT is set but S3_BUCKET is missing");
    if (!e.S3_ACCESS_KEY_ID || !e.S3_SECRET_ACCESS_KEY) {
      problems.push("S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are required with S3_ENDPOINT");
    }
    if (e.S3_ENDPOINT && e.S3_BUCKET && e.S3_ACCESS_KEY_ID && e.S3_SECRET_ACCESS_KEY) {
      s3 = {
        endpoint: e.S3_ENDPOINT,
        bucket: e.S3_BUCKET,
        region: e.S3_REGION,
        accessKeyId: e.S3_ACCESS_KEY_ID,
        secretAccessKey: e.S3_SECRET_ACCESS_KEY,
        requestTimeoutMs: e.S3_TIMEOUT_MS,
      };
    }
  }
  const embedded = !e.DATABASE_URL && e.NODE_ENV !== "production";
  if (!e.AUTH_SECRET && !embedded && options.requireSecret !== false) {
    problems.push(
      "AUTH_SECRET is required outside the embedded demo (DATABASE_URL is set or NODE_ENV=production): " +
        "the development secret is public",
    );
  }
  if (!embedded) problems.push(...placeholderSecrets(e));
  if (problems.length > 0) throw new ConfigError(problems);
  const ports = { shop: e.SHOP_PORT, crm: e.CRM_PORT, mes: e.MES_PORT };
  const local = (p: number) => `http://127.0.0.1:${p}`;
  return {
    service: e.SERVICE,
    host: e.HOST,
    ports,
    urls: {
      shop: e.SHOP_URL ?? local(ports.shop),
      crm: e.CRM_URL ?? local(ports.crm),
      mes: e.MES_URL ?? local(ports.mes),
    },
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    databaseTimeoutMs: e.DATABASE_TIMEOUT_MS,
    s3,
    cacheEnabled: e.CACHE === "on",
    redis: e.REDIS_CLUSTER_NODES
      ? { kind: "cluster", nodes: hostPorts(e.REDIS_CLUSTER_NODES) }
      : e.REDIS_SENTINELS
        ? { kind: "sentinel", name: e.REDIS_SENTINEL_NAME, sentinels: hostPorts(e.REDIS_SENTINELS) }
        : e.REDIS_URL
          ? { kind: "standalone", url: e.REDIS_URL }
          : undefined,
    redisCommandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
    cacheNamespace: e.CACHE_NAMESPACE,
    l1MaxBytes: Math.floor(e.L1_MAX_MB * 1024 * 1024),
    cacheAudit: {
      writeRate: e.CACHE_AUDIT_WRITE_RATE,
      readRate: e.CACHE_AUDIT_READ_RATE,
      delayMs: e.CACHE_AUDIT_DELAY_MS,
      boundMs: e.CACHE_AUDIT_BOUND_MS,
      maxLoadShare: e.CACHE_AUDIT_MAX_LOAD_SHARE,
    },
    ttl: {
      productList: e.CACHE_TTL_PRODUCT_LIST_S,
      product: e.CACHE_TTL_PRODUCT_S,
      model: e.CACHE_TTL_MODEL_S,
      order: e.CACHE_TTL_ORDER_S,
      customer: e.CACHE_TTL_CUSTOMER_S,
      analysis: e.CACHE_TTL_ANALYSIS_S,
    },
    embedded,
    authSecret: e.AUTH_SECRET ?? DEV_AUTH_SECRET,
    authSecretIsDefault: e.AUTH_SECRET === undefined,
    authMaxTokenLifetimeS: e.AUTH_MAX_TOKEN_LIFETIME_S,
    edge: {
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HTTP_KEEPALIVE_TIMEOUT_MS,
      maxConnections: e.HTTP_MAX_CONNECTIONS,
      maxEventLoopDelayMs: e.HTTP_MAX_EVENT_LOOP_DELAY_MS,
      trustProxy: e.TRUST_PROXY,
      adminToken: e.ADMIN_TOKEN,
      uploadRatePerMinute: e.UPLOAD_RATE_PER_MINUTE,
      uploadConcurrencyPerClient: e.UPLOAD_CONCURRENCY_PER_CLIENT,
      // The embedded demo is served over plain http on loopback; a deployment's pages, over HTTPS.
      sessions: {
        secureCookie: e.SESSION_COOKIE_SECURE === "auto" ? !embedded : e.SESSION_COOKIE_SECURE === "on",
        demo: embedded,
      },
    },
    meshMaxTriangles: e.MESH_MAX_TRIANGLES,
    meshMaxUncompressedBytes: e.MESH_MAX_UNCOMPRESSED_MB * 1024 * 1024,
    outboxRelayIntervalMs: e.OUTBOX_RELAY_INTERVAL_MS,
    modelCacheMaxBytes: e.MODEL_CACHE_MAX_MB * 1024 * 1024,
    eventStreams: {
      heartbeatMs: e.EVENTS_HEARTBEAT_S * 1000,
      maxStreams: e.EVENTS_MAX_STREAMS,
      maxStreamsPerPrincipal: e.EVENTS_MAX_STREAMS_PER_USER,
    },
    slicer: {
      binary: e.SLICER === "off" ? undefined : e.SLICER,
      processes: e.SLICER_PROCESSES,
      queueLength: e.SLICER_QUEUE_LENGTH,
      perClientQueued: e.SLICER_PER_CLIENT,
      deadlineMs: e.SLICER_DEADLINE_S * 1000,
      printer: {
        volumeMm: e.SLICER_PRINTER_VOLUME_MM.split("x").map(Number) as [number, number, number],
        nozzleMm: e.SLICER_NOZZLE_MM,
      },
    },
    logLevel: e.LOG_LEVEL,
    bodyLimitBytes: Math.floor(e.BODY_LIMIT_MB * 1024 * 1024),
    meshThreads: e.MESH_THREADS,
    meshDeadlineMs: e.MESH_DEADLINE_MS,
    neighbourTimeoutMs: e.NEIGHBOUR_TIMEOUT_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    shutdownGraceMs: Math.min(e.SHUTDOWN_GRACE_MS, e.SHUTDOWN_TIMEOUT_MS / 2),
    seed: e.SEED,
    tracing: {
      mode: e.TRACING,
      endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
      serviceName: e.OTEL_SERVICE_NAME ?? (e.SERVICE === "all" ? "printfab" : e.SERVICE),
    },
  };
}
