import { z } from "zod";

/** The development secret: used only in the embedded demo when AUTH_SECRET is unset, and announced then. */
export const DEV_AUTH_SECRET = "printfab-dev-secret-do-not-use-in-production";

const port = z.coerce.number().int().min(1).max(65535);
const optionalUrl = z
  .string()
  .url()
  .optional()
  .or(z.literal("").transform(() => undefined));

const EnvSchema = z.object({
  SERVICE: z.enum(["all", "shop", "crm", "mes"]).default("all"),
  HOST: z.string().min(1).default("127.0.0.1"),
  SHOP_PORT: port.default(3001),
  CRM_PORT: port.default(3002),
  MES_PORT: port.default(3003),
  SHOP_URL: optionalUrl,
  CRM_URL: optionalUrl,
  MES_URL: optionalUrl,
  DATA_DIR: z.string().min(1).default(".data"),
  DATABASE_URL: optionalUrl,
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  S3_ENDPOINT: optionalUrl,
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be a valid S3 bucket name")
    .optional(),
  S3_REGION: z.string().min(1).default("us-east-1"),
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),
  CACHE: z.enum(["on", "off"]).default("on"),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  REDIS_CLUSTER_NODES: z
    .string()
    .regex(/^[^,:\s]+:\d+(,[^,:\s]+:\d+)*$/, "must be host:port[,host:port...]")
    .optional(),
  REDIS_SENTINELS: z
    .string()
    .regex(/^[^,:\s]+:\d+(,[^,:\s]+:\d+)*$/, "must be host:port[,host:port...]")
    .optional(),
  REDIS_SENTINEL_NAME: z.string().min(1).default("mymaster"),
  CACHE_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,24}$/, "letters, digits, _ and - only")
    .default("pf"),
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(10).max(10_000).default(250),
  L1_MAX_MB: z.coerce.number().min(0).max(16_384).default(64),
  CACHE_TTL_PRODUCT_LIST_S: z.coerce.number().int().min(1).max(86_400).default(300),
  CACHE_TTL_PRODUCT_S: z.coerce.number().int().min(1).max(86_400).default(600),
  CACHE_TTL_MODEL_S: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 86_400)
    .default(86_400),
  CACHE_TTL_ORDER_S: z.coerce.number().int().min(1).max(86_400).default(60),
  CACHE_TTL_CUSTOMER_S: z.coerce.number().int().min(1).max(86_400).default(300),
  CACHE_TTL_ANALYSIS_S: z.coerce
    .number()
    .int()
    .min(1)
    .max(30 * 86_400)
    .default(7 * 86_400),
  NODE_ENV: z.string().optional(),
  AUTH_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
  AUTH_MAX_TOKEN_LIFETIME_S: z.coerce
    .number()
    .int()
    .min(60)
    .max(30 * 86_400)
    .default(7 * 86_400),
  ADMIN_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  TRUST_PROXY: z
    .string()
    .regex(/^[0-9a-fA-F.:/,\s]+$/, "must be a comma-separated list of proxy addresses or CIDR ranges")
    .optional(),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(10_000),
  HTTP_KEEPALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(5_000),
  HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(1_000),
  HTTP_MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
  UPLOAD_RATE_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(30),
  UPLOAD_CONCURRENCY_PER_CLIENT: z.coerce.number().int().min(1).max(1_000).default(2),
  MESH_MAX_TRIANGLES: z.coerce.number().int().min(1_000).max(100_000_000).default(5_000_000),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  BODY_LIMIT_MB: z.coerce.number().positive().max(2048).default(100),
  MESH_THREADS: z.coerce.number().int().min(1).max(64).optional(),
  MESH_DEADLINE_MS: z.coerce.number().int().min(100).max(600_000).default(20_000),
  NEIGHBOUR_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(3000),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  SEED: z.enum(["auto", "off"]).default("auto"),
});

export type ServiceName = "shop" | "crm" | "mes";

export interface Config {
  service: "all" | ServiceName;
  host: string;
  ports: Record<ServiceName, number>;
  urls: Record<ServiceName, string>;
  dataDir: string;
  databaseUrl: string | undefined;
  databasePoolSize: number;
  s3: { endpoint: string; bucket: string; region: string; accessKeyId: string; secretAccessKey: string } | undefined;
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
  /** Per-cache TTLs, in seconds. */
  ttl: { productList: number; product: number; model: number; order: number; customer: number; analysis: number };
  /** No DATABASE_URL and NODE_ENV is not `production`: the all-in-one demo, the only mode with a default secret. */
  embedded: boolean;
  authSecret: string;
  authSecretIsDefault: boolean;
  authMaxTokenLifetimeS: number;
  edge: EdgeSettings;
  meshMaxTriangles: number;
  logLevel: string;
  bodyLimitBytes: number;
  meshThreads: number | undefined;
  meshDeadlineMs: number;
  neighbourTimeoutMs: number;
  shutdownTimeoutMs: number;
  seed: "auto" | "off";
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
}

export class ConfigError extends Error {
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

/** Reads the configuration from the environment; every bad value is named in one ConfigError. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  options: { /** Tools that sign nothing (the seeder) run without a secret. */ requireSecret?: boolean } = {},
): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const name = String(i.path[0]);
        return `${name}=${JSON.stringify(env[name] ?? "")}: ${i.message}`;
      }),
    );
  }
  const e = parsed.data;
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
    },
    meshMaxTriangles: e.MESH_MAX_TRIANGLES,
    logLevel: e.LOG_LEVEL,
    bodyLimitBytes: Math.floor(e.BODY_LIMIT_MB * 1024 * 1024),
    meshThreads: e.MESH_THREADS,
    meshDeadlineMs: e.MESH_DEADLINE_MS,
    neighbourTimeoutMs: e.NEIGHBOUR_TIMEOUT_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    seed: e.SEED,
  };
}
