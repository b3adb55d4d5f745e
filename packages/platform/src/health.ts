import type { HttpApp } from "./http-app.ts";

export interface HealthCheck {
  name: string;
  /** When a critical dependency is down the service answers 503 (DESIGN.md: PostgreSQL). */
  critical: boolean;
  check(): Promise<void>;
}

export interface DependencyState {
  status: "up" | "down";
  latencyMs: number;
  error?: string;
}

const CHECK_TIMEOUT_MS = 1500;

async function probe(check: HealthCheck): Promise<DependencyState> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check.check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { status: "up", latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    return { status: "down", latencyMs: Math.round(performance.now() - started), error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** `GET /health`: each dependency's state; 503 when a critical one is down, `degraded` when another is. */
export function registerHealth(app: HttpApp, service: string, checks: HealthCheck[]): void {
  app.get(
    "/health",
    { schema: { tags: ["ops"], summary: "State of the service and its dependencies" } },
    async (_req, reply) => {
      const states = await Promise.all(checks.map(probe));
      const dependencies = Object.fromEntries(checks.map((c, i) => [c.name, states[i]]));
      const criticalDown = checks.some((c, i) => c.critical && states[i]?.status === "down");
      const anyDown = states.some((s) => s.status === "down");
      reply.status(criticalDown ? 503 : 200);
      return { service, status: criticalDown ? "down" : anyDown ? "degraded" : "ok", dependencies };
    },
  );
}

/** The PostgreSQL check every service has; critical, so its failure makes /health answer 503. */
export const databaseHealthCheck = (db: { query(sql: string): Promise<unknown> }): HealthCheck => ({
  name: "postgres",
  critical: true,
  check: async () => {
    await db.query("SELECT 1");
  },
});
