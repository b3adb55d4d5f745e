import { parseArgs } from "node:util";
import {
  ConfigError,
  collectProcessMetrics,
  createLogger,
  loadConfig,
  onShutdown,
  type Role,
} from "@printfab/platform";
import { DEMO_SIZES, isEmpty, seed, seedModels } from "./seed.ts";
import { type Infrastructure, migrateServices, openInfrastructure, SERVICES, startServices } from "./system.ts";

const HELP = `Printfab: Shop, CRM and MES APIs.

Usage: npm start [-- --help]

With no settings, runs all three services in this process on embedded defaults: PGlite under
DATA_DIR (./.data), a folder object store, no Redis. Demo data is seeded on the first start.

Environment (all optional):
  SERVICE=all|shop|crm|mes        which service(s) to run (default all)
  SHOP_PORT, CRM_PORT, MES_PORT   ports (3001, 3002, 3003); HOST (127.0.0.1)
  SHOP_URL, CRM_URL, MES_URL      where the neighbours are (default http://127.0.0.1:<port>)
  DATABASE_URL                    PostgreSQL instead of PGlite
  S3_ENDPOINT, S3_BUCKET, S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY
                                  an S3-compatible store instead of the folder
  AUTH_SECRET                     HS256 secret of the JWTs; required unless embedded (no DATABASE_URL,
                                  NODE_ENV not production), where a public development secret is used
  AUTH_MAX_TOKEN_LIFETIME_S       longest token lifetime accepted (604800)
  ADMIN_TOKEN                     bearer token for /metrics, /docs and /health's details (open when unset)
  HTTP_REQUEST_TIMEOUT_MS, HTTP_HEADERS_TIMEOUT_MS, HTTP_KEEPALIVE_TIMEOUT_MS, HTTP_MAX_CONNECTIONS
                                  client deadlines and the connection cap (60000, 10000, 5000, 1000)
  HTTP_MAX_EVENT_LOOP_DELAY_MS    answer 503 above this event-loop delay (1000; 0: never)
  UPLOAD_RATE_PER_MINUTE, UPLOAD_CONCURRENCY_PER_CLIENT
                                  per-client limits on 3D uploads (30, 2)
  TRUST_PROXY                     proxies whose X-Forwarded-For names the client (addresses, CIDRs)
  MESH_MAX_TRIANGLES              largest model accepted, after expansion (5000000)
  CACHE=on|off, LOG_LEVEL, BODY_LIMIT_MB, NEIGHBOUR_TIMEOUT_MS, SHUTDOWN_TIMEOUT_MS
  SEED=auto|off                   seed demo data on the first all-in-one start (auto)
`;

/**
 * Tokens for trying the embedded demo. Never printed with a real deployment's secret: whoever reads the
 * logs would hold a manager's token.
 */
async function demoTokens(infra: Infrastructure, maxLifetimeS: number): Promise<string[]> {
  const [firstCustomer] = await infra.db
    .query<{ id: number }>("SELECT min(id) AS id FROM crm.customers")
    .catch(() => []);
  const lifetime = Math.min(7 * 24 * 3600, maxLifetimeS);
  const sign = (sub: string, role: Role) => infra.auth.sign({ sub, role }, lifetime);
  return [
    "",
    `Demo tokens of the embedded demo (valid ${Math.round(lifetime / 3600)} h):`,
    ...(firstCustomer?.id ? [`  customer ${firstCustomer.id}: ${sign(String(firstCustomer.id), "customer")}`] : []),
    `  manager:    ${sign("manager-1", "manager")}`,
    `  operator:   ${sign("operator-1", "operator")}`,
  ];
}

async function main() {
  const { values } = parseArgs({ options: { help: { type: "boolean", short: "h" } } });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nSee 'npm start -- --help'.\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  // CPU, memory and event-loop lag in /metrics: the benchmark reads the services' CPU from here.
  collectProcessMetrics();
  if (config.authSecretIsDefault) logger.warn("AUTH_SECRET is unset: the embedded demo uses the development secret");
  const services = config.service === "all" ? SERVICES : [config.service];

  const infra = await openInfrastructure(config, logger);
  await migrateServices(infra.db, config.service === "all" ? SERVICES : services);
  if (config.service === "all" && config.seed === "auto" && (await isEmpty(infra.db))) {
    logger.info(DEMO_SIZES, "first start: seeding demo data");
    const progress = (phase: string, done: number, total: number) => {
      if (done === total) logger.info({ phase, rows: total }, "seeded");
    };
    await seed(infra.db, DEMO_SIZES, progress);
    await seedModels(infra.db, infra.objectStore, infra.meshPool, progress);
  }
  const system = await startServices(services, config, infra, logger);
  onShutdown(logger, config.shutdownTimeoutMs, [system.stop]);

  const lines = [
    "",
    "Printfab is running:",
    ...Object.entries(system.urls).map(([name, url]) => `  ${name.padEnd(5)} ${url}   (OpenAPI: ${url}/docs)`),
    ...(config.embedded ? await demoTokens(infra, config.authMaxTokenLifetimeS) : []),
    "",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

main().catch((err) => {
  process.stderr.write(`printfab failed to start: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
