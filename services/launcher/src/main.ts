import { parseArgs } from "node:util";
import { ConfigError, collectProcessMetrics, createLogger, loadConfig, onShutdown } from "@printfab/platform";
import { DEMO_SIZES, isEmpty, seed, seedModels } from "./seed.ts";
import { migrateServices, openInfrastructure, SERVICES, startServices } from "./system.ts";

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
  AUTH_SECRET                     HS256 secret of the JWTs (a dev default when unset)
  CACHE=on|off, LOG_LEVEL, BODY_LIMIT_MB, NEIGHBOUR_TIMEOUT_MS, SHUTDOWN_TIMEOUT_MS
  SEED=auto|off                   seed demo data on the first all-in-one start (auto)
`;

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
  if (config.authSecretIsDefault) logger.warn("AUTH_SECRET is unset: using the development secret");
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

  const [firstCustomer] = await infra.db
    .query<{ id: number }>("SELECT min(id) AS id FROM crm.customers")
    .catch(() => []);
  const week = 7 * 24 * 3600;
  const lines = [
    "",
    "Printfab is running:",
    ...Object.entries(system.urls).map(([name, url]) => `  ${name.padEnd(5)} ${url}   (OpenAPI: ${url}/docs)`),
    "",
    "Demo tokens (valid 7 days):",
    firstCustomer?.id
      ? `  customer ${firstCustomer.id}: ${infra.auth.sign({ sub: String(firstCustomer.id), role: "customer" }, week)}`
      : "",
    `  manager:    ${infra.auth.sign({ sub: "manager-1", role: "manager" }, week)}`,
    `  operator:   ${infra.auth.sign({ sub: "operator-1", role: "operator" }, week)}`,
    "",
  ].filter((l, i, all) => l !== "" || all[i - 1] !== "");
  process.stdout.write(`${lines.join("\n")}\n`);
}

main().catch((err) => {
  process.stderr.write(`printfab failed to start: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
