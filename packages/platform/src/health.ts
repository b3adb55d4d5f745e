import type { FastifyRequest } from "fastify";
import type { HttpApp } from "./http-app.ts";

export interface HealthCheck {
  name: string;
  /** When a critical dependency is down the service answers 503 (PostgreSQL; docs/architecture.md). */
  critical: boolean;
  check(): Promise<void>;
}

export interface DependencyState {
  status: "up" | "down";
  latencyMs: number;
  /** Why it is down, with the driver's own words; only for those `revealDetails` lets see it. */
  error?: string;
}

export interface HealthOptions {
  /** Whether this request may see each failure's text (an operator's); the public sees states only. */
  revealDetails?: (request: FastifyRequest) => boolean;
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
    return { status: "down", latencyMs: Math.round(performance.now() - started), error: describe(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** The error and its causes, for operators: a DependencyUnavailableError's cause is the driver's text. */
function describe(err: unknown): string {
  const parts: string[] = [];
  for (let e = err; e instanceof Error && parts.length < 4; e = e.cause) {
    // Node's AggregateError (a refused connection on every address) has an empty message but a code.
    parts.push(e.message || String((e as { code?: unknown }).code ?? e.name));
  }
  return parts.length > 0 ? parts.join(": ") : String(err);
}

// Driver text names hosts, ports, users and versions: an attacker's map, so the public sees states only.
const publicState = ({ status, latencyMs }: DependencyState): DependencyState => ({ status, latencyMs });

/**
 * `GET /health`: each dependency's state; 503 when a critical one is down, `degraded` when another is.
 * Failure texts only for requests `options.revealDetails` accepts.
 */
export function registerHealth(
  app: HttpApp,
  service: string,
  checks: HealthCheck[],
  options: HealthOptions = {},
): void {
  app.get(
    "/health",
    { schema: { tags: ["ops"], summary: "State of the service and its dependencies" } },
    async (request, reply) => {
      const states = await Promise.all(checks.map(probe));
      const shown = options.revealDetails?.(request) ? states : states.map(publicState);
      const dependencies = Object.fromEntries(checks.map((c, i) => [c.name, shown[i]]));
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
