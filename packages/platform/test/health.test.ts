import { createServer, type Server, type Socket } from "node:net";
import { freePort } from "@printfab/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Database } from "../src/database.ts";
import { databaseHealthCheck, registerHealth } from "../src/health.ts";
import { createHttpApp, type HttpApp } from "../src/http-app.ts";
import { createLogger } from "../src/logger.ts";
import { createPostgresDriver } from "../src/postgres-driver.ts";

const ADMIN = { "x-test-admin": "yes" };

/** A health endpoint over real PostgreSQL connections; the test header stands in for the admin token. */
async function healthApp(checks: Parameters<typeof registerHealth>[2]): Promise<HttpApp> {
  const app = await createHttpApp({ service: "probe", description: "test", logger: createLogger("silent") });
  registerHealth(app, "probe", checks, { revealDetails: (request) => request.headers["x-test-admin"] === "yes" });
  return app;
}

let refused: Database;
let refusedPort: number;
beforeAll(async () => {
  // A port that was just free and is closed now: PostgreSQL there refuses, for real.
  refusedPort = await freePort();
  refused = new Database(createPostgresDriver(`postgres://postgres@127.0.0.1:${refusedPort}/printfab`, 2), "health");
});
afterAll(() => refused.close());

describe("registerHealth", () => {
  it("shows the public a down dependency's state only, and an operator the driver's text", async () => {
    const objectStore = { name: "objectStore", critical: false, check: async () => {} };
    const app = await healthApp([databaseHealthCheck(refused), objectStore]);

    const pub = await app.inject({ method: "GET", url: "/health" });
    expect(pub.statusCode).toBe(503);
    expect(pub.json()).toEqual({
      service: "probe",
      status: "down",
      dependencies: {
        postgres: { status: "down", latencyMs: expect.any(Number) },
        objectStore: { status: "up", latencyMs: expect.any(Number) },
      },
    });
    expect(pub.body).not.toMatch(new RegExp(`ECONNREFUSED|unavailable|${refusedPort}`));

    const admin = await app.inject({ method: "GET", url: "/health", headers: ADMIN });
    expect(admin.statusCode).toBe(503);
    expect(admin.json().dependencies.postgres.error).toMatch(/^postgres is unavailable: .*ECONNREFUSED/);
    await app.close();
  });

  describe("with a PostgreSQL that accepts connections and never answers", () => {
    let hung: Server;
    const sockets = new Set<Socket>();
    let db: Database;
    beforeAll(async () => {
      hung = createServer((s) => sockets.add(s));
      await new Promise<void>((r) => hung.listen(0, "127.0.0.1", r));
      const { port } = hung.address() as { port: number };
      db = new Database(createPostgresDriver(`postgres://postgres@127.0.0.1:${port}/printfab`, 1), "hung");
    });
    afterAll(async () => {
      // Dropping the silent connections lets the pool's pending connect fail, so it closes at once.
      for (const s of sockets) s.destroy();
      await db.close();
      await new Promise<void>((r) => hung.close(() => r()));
    });

    it("reports it down within the check timeout (1.5 s), before the driver's own 3 s", async () => {
      const app = await healthApp([databaseHealthCheck(db)]);
      const started = performance.now();
      const [pub, admin] = await Promise.all([
        app.inject({ method: "GET", url: "/health" }),
        app.inject({ method: "GET", url: "/health", headers: ADMIN }),
      ]);
      expect(performance.now() - started).toBeLessThan(2500);
      expect([pub.statusCode, admin.statusCode]).toEqual([503, 503]);
      expect(pub.json().dependencies.postgres).toEqual({ status: "down", latencyMs: expect.any(Number) });
      expect(admin.json().dependencies.postgres).toMatchObject({ status: "down", error: "no answer within 1500 ms" });
      await app.close();
    });
  });
});
