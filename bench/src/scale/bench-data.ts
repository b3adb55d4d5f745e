import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { root, track } from "../system/processes.ts";

/** The system bench's data sets (bench/src/system/system-bench.ts), so both benches share one database. */
const SIZES = {
  quick: { products: 20_000, customers: 2_000, orders: 40_000 },
  full: { products: 100_000, customers: 10_000, orders: 200_000 },
};

export interface BenchData {
  databaseUrl: string;
  redisUrl: string;
  /** Where the folder object store keeps the seeded models and previews. */
  dataDir: string;
  products: number;
  categories: string[];
}

const log = (s: string) => process.stderr.write(`${s}\n`);

async function connect(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await c.connect();
  return c;
}

/** `npm run seed` with `args`, over the database and folder store that `env` names. */
function seedCli(args: string[], env: Record<string, string>): Promise<unknown> {
  const child = execFile(process.execPath, ["--import", "tsx", "services/launcher/src/seed-cli.ts", ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  track(child);
  return new Promise((resolve, reject) =>
    child.once("exit", (code) => (code === 0 ? resolve(code) : reject(new Error(`npm run seed exited with ${code}`)))),
  );
}

/** Creates the database if missing, as the system bench does. */
async function ensureDatabase(databaseUrl: string): Promise<void> {
  const admin = new URL(databaseUrl);
  const name = admin.pathname.slice(1);
  admin.pathname = "/postgres";
  const c = await connect(admin.toString());
  try {
    const exists = await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (exists.rowCount === 0) await c.query(`CREATE DATABASE ${name.replace(/[^a-z0-9_]/gi, "")}`);
  } finally {
    await c.end();
  }
}

/**
 * The system bench's database, seeded the way it seeds it when the data set is not in place: with
 * `npm run seed` (the same seed, so the same rows) over the same settings.
 */
export async function benchData(quick: boolean): Promise<BenchData> {
  const databaseUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/printfab_bench";
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const sizes = quick ? SIZES.quick : SIZES.full;
  const dataDir = join(root, "bench/.data");
  mkdirSync(dataDir, { recursive: true });
  await ensureDatabase(databaseUrl);
  const db = await connect(databaseUrl);
  try {
    const count = await db.query("SELECT count(*) AS n FROM shop.products").catch(() => ({ rows: [{ n: 0 }] }));
    if (Number(count.rows[0].n) !== sizes.products) {
      log(`seeding ${JSON.stringify(sizes)} with npm run seed (once; the system bench reuses it)...`);
      const args = Object.entries(sizes).flatMap(([k, v]) => [`--${k}`, String(v)]);
      await seedCli([...args, "--reset"], { DATABASE_URL: databaseUrl, DATA_DIR: dataDir });
    }
    const categories = (await db.query("SELECT DISTINCT category FROM shop.products ORDER BY 1")).rows.map(
      (r) => r.category as string,
    );
    return { databaseUrl, redisUrl, dataDir, products: sizes.products, categories };
  } finally {
    await db.end();
  }
}
