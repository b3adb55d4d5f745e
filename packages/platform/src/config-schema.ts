import { type Static, Type } from "typebox";

const port = (fallback: number, what: string) =>
  Type.Integer({ minimum: 1, maximum: 65535, default: fallback, description: `port of the ${what}` });
const url = (description: string) => Type.Optional(Type.String({ format: "uri", description }));
const hostPorts = (description: string) =>
  Type.Optional(Type.String({ pattern: "^[^,:\\s]+:\\d+(,[^,:\\s]+:\\d+)*$", description }));
const int = (minimum: number, maximum: number, fallback: number, description: string) =>
  Type.Integer({ minimum, maximum, default: fallback, description });
const ttl = (fallback: number, what: string) => int(1, 30 * 86_400, fallback, `seconds a cached ${what} stays fresh`);

/**
 * Every environment variable Printfab reads, with its default and what it means: the one source of the
 * validation, of `npm start -- --help` and of the README's table. TypeBox, as the routes' schemas are.
 */
export const EnvSchema = Type.Object({
  SERVICE: Type.Enum(["all", "shop", "crm", "mes"], {
    default: "all",
    description: "which service(s) this process runs",
  }),
  HOST: Type.String({ minLength: 1, default: "127.0.0.1", description: "address to listen on" }),
  SHOP_PORT: port(3001, "Shop API"),
  CRM_PORT: port(3002, "CRM API"),
  MES_PORT: port(3003, "MES API"),
  SHOP_URL: url("where the Shop is (default http://127.0.0.1:<SHOP_PORT>)"),
  CRM_URL: url("where the CRM is (default http://127.0.0.1:<CRM_PORT>)"),
  MES_URL: url("where MES is (default http://127.0.0.1:<MES_PORT>)"),
  NODE_ENV: Type.Optional(Type.String({ description: "'production' forbids the development secret" })),
  DATA_DIR: Type.String({ minLength: 1, default: ".data", description: "PGlite and the folder object store" }),
  DATABASE_URL: url("PostgreSQL (postgres://...) instead of the embedded PGlite"),
  DATABASE_POOL_SIZE: int(1, 200, 10, "PostgreSQL connections per process"),
  DATABASE_TIMEOUT_MS: int(100, 600_000, 5_000, "deadline of a PostgreSQL statement (503 past it)"),
  S3_ENDPOINT: url("an S3-compatible store instead of the folder"),
  S3_BUCKET: Type.Optional(
    Type.String({ pattern: "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", description: "the bucket (with S3_ENDPOINT)" }),
  ),
  S3_REGION: Type.String({ minLength: 1, default: "us-east-1", description: "the store's region" }),
  S3_ACCESS_KEY_ID: Type.Optional(Type.String({ description: "the store's access key (with S3_ENDPOINT)" })),
  S3_SECRET_ACCESS_KEY: Type.Optional(Type.String({ description: "the store's secret key (with S3_ENDPOINT)" })),
  S3_TIMEOUT_MS: int(100, 600_000, 2_000, "the store may stay silent this long per attempt (two attempts, then 503)"),
  CACHE: Type.Enum(["on", "off"], { default: "on", description: "caching on or off" }),
  REDIS_URL: Type.Optional(
    Type.String({ pattern: "^rediss?://", description: "Redis (redis:// or rediss://); in process when unset" }),
  ),
  REDIS_CLUSTER_NODES: hostPorts("a Redis Cluster's seed nodes, host:port[,host:port...]"),
  REDIS_SENTINELS: hostPorts("Redis Sentinels, host:port[,host:port...]"),
  REDIS_SENTINEL_NAME: Type.String({ minLength: 1, default: "mymaster", description: "the Sentinel master's name" }),
  CACHE_NAMESPACE: Type.String({
    pattern: "^[A-Za-z0-9_-]{1,24}$",
    default: "pf",
    description: "prefix of every key, so deployments can share a Redis",
  }),
  REDIS_COMMAND_TIMEOUT_MS: int(10, 10_000, 250, "deadline of every Redis command"),
  L1_MAX_MB: Type.Number({ minimum: 0, maximum: 16_384, default: 64, description: "in-process budget of each cache" }),
  CACHE_AUDIT_WRITE_RATE: Type.Number({
    minimum: 0,
    maximum: 1,
    default: 0.1,
    description: "share of invalidations the consistency auditor checks in Redis and every instance's L1",
  }),
  CACHE_AUDIT_READ_RATE: Type.Number({
    minimum: 0,
    maximum: 1,
    default: 0.001,
    description: "share of cache hits the consistency auditor re-reads from the source",
  }),
  CACHE_AUDIT_DELAY_MS: int(0, 600_000, 1_000, "from a sampled hit to the auditor's re-read of the source"),
  CACHE_AUDIT_BOUND_MS: int(0, 600_000, 1_500, "the bus bound: how long after a write the auditor checks every tier"),
  CACHE_AUDIT_MAX_LOAD_SHARE: Type.Number({
    minimum: 0,
    maximum: 1,
    default: 0.01,
    description: "the auditor's source loads, at most this share of the cache's hits",
  }),
  CACHE_TTL_PRODUCT_LIST_S: ttl(300, "catalogue page"),
  CACHE_TTL_PRODUCT_S: ttl(600, "product"),
  CACHE_TTL_MODEL_S: ttl(86_400, "model's metadata or preview"),
  CACHE_TTL_ORDER_S: ttl(60, "order"),
  CACHE_TTL_CUSTOMER_S: ttl(300, "customer"),
  CACHE_TTL_ANALYSIS_S: ttl(7 * 86_400, "analysis or quote"),
  AUTH_SECRET: Type.Optional(
    Type.String({
      minLength: 16,
      description: "HS256 secret of the tokens; required unless embedded (no DATABASE_URL, not production)",
    }),
  ),
  AUTH_MAX_TOKEN_LIFETIME_S: int(60, 30 * 86_400, 7 * 86_400, "longest token lifetime accepted"),
  ADMIN_TOKEN: Type.Optional(
    Type.String({ minLength: 16, description: "bearer token for /metrics, /docs and /health's details" }),
  ),
  SESSION_COOKIE_SECURE: Type.Enum(["auto", "on", "off"], {
    default: "auto",
    description: "the pages' session cookie is HTTPS-only: auto = on unless embedded",
  }),
  TRUST_PROXY: Type.Optional(
    Type.String({
      pattern: "^[0-9a-fA-F.:/,\\s]+$",
      description: "proxies whose X-Forwarded-For names the client (addresses, CIDRs)",
    }),
  ),
  HTTP_REQUEST_TIMEOUT_MS: int(100, 3_600_000, 60_000, "a whole request, body included, must arrive within this"),
  HTTP_HEADERS_TIMEOUT_MS: int(100, 300_000, 10_000, "a request's headers must arrive within this"),
  HTTP_KEEPALIVE_TIMEOUT_MS: int(100, 300_000, 5_000, "an idle keep-alive connection is closed after this"),
  HTTP_MAX_CONNECTIONS: int(1, 1_000_000, 1_000, "connections held at once per service"),
  HTTP_MAX_EVENT_LOOP_DELAY_MS: int(0, 60_000, 1_000, "answer 503 above this event-loop delay (0: never)"),
  UPLOAD_RATE_PER_MINUTE: int(1, 1_000_000, 30, "3D uploads per client per minute"),
  UPLOAD_CONCURRENCY_PER_CLIENT: int(1, 1_000, 2, "3D uploads one client may have in flight"),
  LOG_LEVEL: Type.Enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
    default: "info",
    description: "pino log level",
  }),
  BODY_LIMIT_MB: Type.Number({ exclusiveMinimum: 0, maximum: 2048, default: 100, description: "largest 3D upload" }),
  MESH_THREADS: Type.Optional(Type.Integer({ minimum: 1, maximum: 64, description: "3D worker threads (cores-1)" })),
  MESH_DEADLINE_MS: int(100, 600_000, 20_000, "a 3D computation past this is stopped and refused"),
  MESH_MAX_TRIANGLES: int(1_000, 100_000_000, 5_000_000, "largest model accepted, after expansion"),
  MESH_MAX_UNCOMPRESSED_MB: int(1, 4096, 256, "a 3MF inflating past this is refused (zip bombs)"),
  MODEL_CACHE_MAX_MB: int(
    0,
    64,
    4,
    "model files up to this size are kept whole in the cache; larger ones stream from the store",
  ),
  SLICER: Type.String({
    minLength: 1,
    default: "prusa-slicer",
    description: "PrusaSlicer's executable for slicing jobs and sliced quotes; 'off' turns slicing off",
  }),
  SLICER_PROCESSES: int(1, 64, 2, "slicer processes run at once per MES instance"),
  SLICER_QUEUE_LENGTH: int(1, 10_000, 32, "slicing jobs waiting per MES instance (503 above)"),
  SLICER_PER_CLIENT: int(1, 1_000, 4, "slicing jobs one client may have queued or running (429 above)"),
  SLICER_DEADLINE_S: int(1, 3_600, 300, "a slice running longer is killed and fails"),
  SLICER_PRINTER_VOLUME_MM: Type.String({
    pattern: "^[0-9]{1,4}x[0-9]{1,4}x[0-9]{1,4}$",
    default: "250x210x210",
    description: "the printer's build volume, width x depth x height in mm",
  }),
  SLICER_NOZZLE_MM: Type.Number({ minimum: 0.1, maximum: 2, default: 0.4, description: "the printer's nozzle (mm)" }),
  OUTBOX_RELAY_INTERVAL_MS: int(
    10,
    60_000,
    250,
    "how often each service's outbox relay delivers what the fast path missed",
  ),
  EVENTS_HEARTBEAT_S: int(1, 300, 15, "a comment line on every open event stream this often"),
  EVENTS_MAX_STREAMS: int(1, 1_000_000, 10_000, "open event streams per service instance (503 above)"),
  EVENTS_MAX_STREAMS_PER_USER: int(1, 10_000, 16, "open event streams per signed-in user (429 above)"),
  NEIGHBOUR_TIMEOUT_MS: int(50, 60_000, 3_000, "deadline of a call to another service"),
  SHUTDOWN_TIMEOUT_MS: int(100, 120_000, 10_000, "longest drain on SIGTERM"),
  SHUTDOWN_GRACE_MS: int(0, 60_000, 1_000, "on SIGTERM, how long answers close their keep-alive connections first"),
  TRACING: Type.Enum(["auto", "on", "off"], {
    default: "auto",
    description: "OpenTelemetry traces: auto (only with OTEL_EXPORTER_OTLP_ENDPOINT), on (even unexported), off",
  }),
  OTEL_EXPORTER_OTLP_ENDPOINT: url("OTLP/HTTP collector that spans are sent to (POST <url>/v1/traces, JSON)"),
  OTEL_SERVICE_NAME: Type.Optional(
    Type.String({ minLength: 1, description: "service.name of the spans (default: the SERVICE, 'printfab' for all)" }),
  ),
  SEED: Type.Enum(["auto", "off"], {
    default: "auto",
    description: "seed demo data on the first all-in-one start",
  }),
});

export type Env = Static<typeof EnvSchema>;

/** One line per variable, from the schema: name, meaning and default (for `--help`). */
export function describeEnv(): string {
  const properties = EnvSchema.properties as Record<string, { description?: string; default?: unknown }>;
  const width = Math.max(...Object.keys(properties).map((k) => k.length)) + 2;
  return Object.entries(properties)
    .map(([name, p]) => {
      const fallback = p.default === undefined ? "" : ` (default ${String(p.default)})`;
      return `  ${name.padEnd(width)}${p.description ?? ""}${fallback}`;
    })
    .join("\n");
}
