import { parseArgs } from "node:util";
import { ConfigError, createLogger, loadConfig } from "@printfab/platform";
import { MultiBar, Presets } from "cli-progress";
import { DEMO_SIZES, resetData, seed, seedModels } from "./seed.ts";
import { migrateServices, openInfrastructure, SERVICES } from "./system.ts";

const HELP = `Seeds Printfab's database (DATABASE_URL, or the embedded one under DATA_DIR).

Usage: npm run seed -- [--products N] [--customers N] [--orders N] [--reset] [--seed S]

  --products N    products to add (default ${DEMO_SIZES.products})
  --customers N   customers to add (default ${DEMO_SIZES.customers})
  --orders N      orders to add, every status represented (default ${DEMO_SIZES.orders})
  --reset         delete all products, customers and orders first
  --seed S        random seed (default 42): the same seed gives the same data
`;

function count(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 10_000_000) {
    throw new Error(`--${name} must be a whole number from 0 to 10000000, not '${raw}'`);
  }
  return n;
}

async function main() {
  const { values } = parseArgs({
    options: {
      products: { type: "string" },
      customers: { type: "string" },
      orders: { type: "string" },
      seed: { type: "string" },
      reset: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const sizes = {
    products: count("products", values.products, DEMO_SIZES.products),
    customers: count("customers", values.customers, DEMO_SIZES.customers),
    orders: count("orders", values.orders, DEMO_SIZES.orders),
  };
  const seedValue = count("seed", values.seed, 42);
  const config = loadConfig(process.env, { requireSecret: false });
  const logger = createLogger("warn");
  const infra = await openInfrastructure(config, logger);
  try {
    await migrateServices(infra.db, SERVICES);
    if (values.reset) await resetData(infra.db);
    const bars = new MultiBar(
      {
        format: "{phase} [{bar}] {percentage}% | {value}/{total} | {duration}s",
        hideCursor: true,
        clearOnComplete: false,
      },
      Presets.shades_classic,
    );
    const phases = new Map<string, ReturnType<MultiBar["create"]>>();
    const started = performance.now();
    const progress = (phase: string, done: number, total: number) => {
      let bar = phases.get(phase);
      if (!bar) {
        bar = bars.create(total, 0, { phase: phase.padEnd(9) });
        phases.set(phase, bar);
      }
      bar.update(done);
    };
    await seed(infra.db, sizes, progress, seedValue);
    await seedModels(infra.db, infra.objectStore, infra.meshPool, progress);
    bars.stop();
    process.stdout.write(`seeded ${JSON.stringify(sizes)} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  } finally {
    await infra.close();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : `seed failed: ${(err as Error).message}`}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
