import { join } from "node:path";
import type { Config } from "./config.ts";
import { Database } from "./database.ts";
import type { PlatformMetrics } from "./metrics.ts";
import { createPgliteDriver } from "./pglite-driver.ts";
import { createPostgresDriver } from "./postgres-driver.ts";

/** PostgreSQL when DATABASE_URL is set, else the embedded PGlite under DATA_DIR. */
export async function openDatabase(config: Config, service: string, metrics: PlatformMetrics): Promise<Database> {
  const driver = config.databaseUrl
    ? createPostgresDriver(config.databaseUrl, config.databasePoolSize, config.databaseTimeoutMs)
    : await createPgliteDriver(join(config.dataDir, "pglite"));
  return new Database(driver, service, metrics.dbQueries);
}
