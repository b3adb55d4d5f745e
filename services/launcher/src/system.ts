import { join } from "node:path";
import { CRM_SCHEMA, createCrmApp, crmMigrationsDir } from "@printfab/crm";
import { createMesApp, MES_SCHEMA, mesMigrationsDir, type SlicingSettings } from "@printfab/mes";
import { MeshPool } from "@printfab/mesh";
import {
  type Auth,
  type CacheFactory,
  type Config,
  createAuth,
  createCacheFactory,
  type Database,
  type HttpApp,
  type Logger,
  migrate,
  openDatabase,
  PlatformMetrics,
  readMigrations,
  type ServiceName,
  startTracing,
} from "@printfab/platform";
import { createShopApp, SHOP_SCHEMA, shopMigrationsDir } from "@printfab/shop";
import { createFilesystemStore, createS3Store, type ObjectStore, objectStoreRequests } from "@printfab/storage";

export const SERVICES: readonly ServiceName[] = ["shop", "crm", "mes"];

const MIGRATIONS: Record<ServiceName, { schema: string; dir: string }> = {
  shop: { schema: SHOP_SCHEMA, dir: shopMigrationsDir },
  crm: { schema: CRM_SCHEMA, dir: crmMigrationsDir },
  mes: { schema: MES_SCHEMA, dir: mesMigrationsDir },
};

export interface Infrastructure {
  /** The process's metrics registry, shared by its services, database, store and caches. */
  metrics: PlatformMetrics;
  caches: CacheFactory;
  db: Database;
  objectStore: ObjectStore;
  auth: Auth;
  meshPool: MeshPool;
  close(): Promise<void>;
}

/** Opens the database and the object store that the configuration names, ready for use. */
export async function openInfrastructure(config: Config, logger: Logger): Promise<Infrastructure> {
  const metrics = new PlatformMetrics();
  const db = await openDatabase(config, "launcher", metrics);
  const countRequest = objectStoreRequests(metrics.registry);
  const objectStore = config.s3
    ? createS3Store({ ...config.s3, countRequest })
    : createFilesystemStore(join(config.dataDir, "objects"), countRequest);
  try {
    await objectStore.ensureReady();
  } catch (err) {
    await db.close();
    throw err;
  }
  const meshPool = new MeshPool({
    threads: config.meshThreads,
    deadlineMs: config.meshDeadlineMs,
    maxTriangles: config.meshMaxTriangles,
    maxUncompressedBytes: config.meshMaxUncompressedBytes,
  });
  const caches = await createCacheFactory(config, logger, { registry: metrics.registry });
  // Before any app is made: an app adds its request span hooks only in a process that traces.
  const tracing = startTracing(config.tracing);
  if (tracing) logger.info({ exporting: tracing.exporting, service: config.tracing.serviceName }, "tracing on");
  return {
    metrics,
    caches,
    db,
    objectStore,
    auth: createAuth(config.authSecret, { maxLifetimeSeconds: config.authMaxTokenLifetimeS }),
    meshPool,
    close: async () => {
      await caches.close();
      await meshPool.close();
      await db.close();
      // Last: what the closing itself traced is sent too.
      await tracing?.shutdown();
    },
  };
}

/** Applies the migrations of the named services (each in its own schema). */
export async function migrateServices(db: Database, services: readonly ServiceName[]): Promise<void> {
  for (const s of services) {
    const { schema, dir } = MIGRATIONS[s];
    await migrate(db.forService(s), schema, await readMigrations(dir));
  }
}

export async function createServiceApp(
  name: ServiceName,
  config: Config,
  infra: Infrastructure,
  logger: Logger,
): Promise<HttpApp> {
  const common = {
    db: infra.db.forService(name),
    auth: infra.auth,
    logger,
    caches: infra.caches,
    ttl: config.ttl,
    edge: config.edge,
    metrics: infra.metrics,
    // Every instance runs its service's outbox relay: rows are claimed with SKIP LOCKED, so they share it.
    relay: { intervalMs: config.outboxRelayIntervalMs },
  };
  const models = { meshPool: infra.meshPool, uploadLimitBytes: config.bodyLimitBytes };
  const eventStreams = config.eventStreams;
  switch (name) {
    case "shop":
      return createShopApp({
        ...common,
        ...models,
        objectStore: infra.objectStore,
        modelCacheMaxBytes: config.modelCacheMaxBytes,
        eventStreams,
        mesUrl: config.urls.mes,
        neighbourTimeoutMs: config.neighbourTimeoutMs,
        // A quote is computed by MES under its own deadline; the Shop waits a little longer.
        quoteTimeoutMs: config.meshDeadlineMs + config.neighbourTimeoutMs,
      });
    case "crm":
      return createCrmApp({ ...common, mesUrl: config.urls.mes, neighbourTimeoutMs: config.neighbourTimeoutMs });
    case "mes":
      return createMesApp({
        ...common,
        ...models,
        eventStreams,
        objectStore: infra.objectStore,
        slicing: slicingOf(config.slicer),
      });
  }
}

/** The configuration's slicer as MES takes it; a process looks for the executable once per MES app. */
function slicingOf(s: Config["slicer"]): SlicingSettings {
  const { binary, printer, ...pool } = s;
  const [w, d, h] = printer.volumeMm;
  return { ...pool, binary: binary ?? null, printer: { ...printer, name: `${w}x${d}x${h}-${printer.nozzleMm}` } };
}

export interface RunningSystem {
  urls: Partial<Record<ServiceName, string>>;
  apps: HttpApp[];
  /** Stops the servers (draining in-flight requests), then the connections. */
  stop(): Promise<void>;
}

/** Starts the named services on their ports over the given infrastructure. */
export async function startServices(
  services: readonly ServiceName[],
  config: Config,
  infra: Infrastructure,
  logger: Logger,
): Promise<RunningSystem> {
  const apps: HttpApp[] = [];
  const urls: RunningSystem["urls"] = {};
  const stop = async () => {
    // Every answer closes its connection for a moment first: keep-alive clients reconnect, unreset.
    await Promise.all(apps.map((a) => a.drain(config.shutdownGraceMs)));
    await Promise.all(apps.map((a) => a.close()));
    await infra.close();
  };
  try {
    for (const name of services) {
      const app = await createServiceApp(name, config, infra, logger);
      apps.push(app);
      await app.listen({ port: config.ports[name], host: config.host });
      urls[name] = `http://${config.host}:${config.ports[name]}`;
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { urls, apps, stop };
}
