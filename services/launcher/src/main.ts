import { parseArgs } from "node:util";
import { ConfigError, createLogger, describeEnv, loadConfig, onShutdown, type Role } from "@printfab/platform";
import { buildWeb, isWebBuilt } from "@printfab/web";
import { DEMO_SIZES, isEmpty, seed, seedModels } from "./seed.ts";
import { type Infrastructure, migrateServices, openInfrastructure, SERVICES, startServices } from "./system.ts";

const HELP = `Printfab: Shop, CRM and MES APIs.

Usage: npm start [-- --help]

With no settings, runs all three services in this process on embedded defaults: PGlite under
DATA_DIR (./.data), a folder object store, no Redis. Demo data is seeded on the first start.

Environment (all optional):
${describeEnv()}
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

/** Where the people's pages are, for the services this process runs. */
function pageLines(urls: Partial<Record<string, string>>): string[] {
  const pages = [
    urls.shop && `  storefront       ${urls.shop}/`,
    urls.mes && `  production board ${urls.mes}/board`,
    urls.shop && `  cache dashboard  ${urls.shop}/ops`,
  ].filter((line): line is string => Boolean(line));
  return pages.length ? ["", "Pages:", ...pages] : [];
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
  if (config.authSecretIsDefault) logger.warn("AUTH_SECRET is unset: the embedded demo uses the development secret");
  const services = config.service === "all" ? SERVICES : [config.service];

  const infra = await openInfrastructure(config, logger);
  // CPU, memory and event-loop lag in /metrics: the benchmark reads the services' CPU from here.
  infra.metrics.collectProcessMetrics();
  await migrateServices(infra.db, config.service === "all" ? SERVICES : services);
  if (config.service === "all" && config.seed === "auto" && (await isEmpty(infra.db))) {
    logger.info(DEMO_SIZES, "first start: seeding demo data");
    const progress = (phase: string, done: number, total: number) => {
      if (done === total) logger.info({ phase, rows: total }, "seeded");
    };
    await seed(infra.db, DEMO_SIZES, progress);
    await seedModels(infra.db, infra.objectStore, infra.meshPool, progress);
  }
  if (!isWebBuilt()) {
    // `npm install` builds the pages; a checkout that skipped its scripts builds them here, once.
    logger.info("building the pages (first start)");
    await buildWeb();
  }
  const system = await startServices(services, config, infra, logger);
  onShutdown(logger, config.shutdownTimeoutMs, [system.stop]);

  const lines = [
    "",
    "Printfab is running:",
    ...Object.entries(system.urls).map(([name, url]) => `  ${name.padEnd(5)} ${url}   (OpenAPI: ${url}/docs)`),
    ...pageLines(system.urls),
    ...(config.embedded ? await demoTokens(infra, config.authMaxTokenLifetimeS) : []),
    "",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

main().catch((err) => {
  process.stderr.write(`printfab failed to start: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
