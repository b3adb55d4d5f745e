import type { CacheFactory } from "./cache-factory.ts";
import type { Config } from "./config.ts";
import { databaseHealthCheck, type HealthCheck, registerHealth } from "./health.ts";
import type { HttpApp } from "./http-app.ts";

/**
 * `GET /health` as every service has it: PostgreSQL (critical), the service's own `extraChecks`, and Redis
 * when the caches use it; failure texts for the admin token only.
 */
export function registerServiceHealth(
  app: HttpApp,
  service: string,
  deps: { db: { query(sql: string): Promise<unknown> }; caches: Pick<CacheFactory, "healthCheck"> },
  extraChecks: HealthCheck[] = [],
): void {
  const redis = deps.caches.healthCheck();
  registerHealth(app, service, [databaseHealthCheck(deps.db), ...extraChecks, ...(redis ? [redis] : [])], {
    revealDetails: (request) => app.admin.isAdmin(request),
  });
}

/** The caches' TTLs in milliseconds, as the cache engine takes them. */
export type CacheTtls = { readonly [K in keyof Config["ttl"]]: number };

/** The configuration gives TTLs in seconds (CACHE_TTL_*_S); this is the one place they become milliseconds. */
export function cacheTtls(seconds: Config["ttl"]): CacheTtls {
  return Object.fromEntries(Object.entries(seconds).map(([name, s]) => [name, s * 1000])) as CacheTtls;
}
