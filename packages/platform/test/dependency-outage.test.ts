import { createServer } from "node:net";
import { createS3Store, ObjectStoreUnavailableError } from "@printfab/storage";
import { createTestDatabase, freePort, startTestS3, type TestDatabase } from "@printfab/testkit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Database, isUniqueViolation } from "../src/database.ts";
import { DependencyUnavailableError } from "../src/errors.ts";
import { createHttpApp, type HttpApp } from "../src/http-app.ts";
import { createLogger } from "../src/logger.ts";
import { createPostgresDriver } from "../src/postgres-driver.ts";

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a rejection");
    },
    (err: unknown) => err,
  );

const expectPostgresDown = (err: unknown) => {
  expect(err).toBeInstanceOf(DependencyUnavailableError);
  expect(err).toMatchObject({ statusCode: 503, code: "dependency_unavailable", dependency: "postgres" });
  expect((err as DependencyUnavailableError).retryAfterSeconds).toBe(5);
  // The driver's error stays reachable for the logs.
  expect((err as Error).cause).toBeInstanceOf(Error);
};

let live: TestDatabase;
let down: Database;
beforeAll(async () => {
  live = await createTestDatabase();
  // A port that was just free and is closed now: connecting to it is refused, for real.
  down = new Database(createPostgresDriver(`postgres://postgres@127.0.0.1:${await freePort()}/printfab`, 2), "down");
});
afterAll(async () => {
  await down.close();
  await live.drop();
});

describe("Database classifies PostgreSQL's failures", () => {
  it("turns a refused connection into DependencyUnavailableError, for a query and a transaction", async () => {
    expectPostgresDown(await rejection(down.query("SELECT 1")));
    expectPostgresDown(await rejection(down.transaction(async (tx) => tx.query("SELECT 1"))));
  });

  it("gives up on a statement at the deadline: 503, and the connection stays usable", async () => {
    const db = new Database(createPostgresDriver(live.url, 1, 300), "slow");
    try {
      const started = performance.now();
      expectPostgresDown(await rejection(db.query("SELECT pg_sleep(5)")));
      // statement_timeout cancelled it on the server, well before the 5 s it asked for.
      expect(performance.now() - started).toBeLessThan(4000);
      expect(await db.query("SELECT 1 AS one")).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
    }
  });

  it("gives up on a server that accepts connections and never answers, within the deadline", async () => {
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as { port: number }).port;
    const db = new Database(createPostgresDriver(`postgres://postgres@127.0.0.1:${port}/x`, 1, 500), "silent");
    try {
      const started = performance.now();
      expectPostgresDown(await rejection(db.query("SELECT 1")));
      expect(performance.now() - started).toBeLessThan(4000);
    } finally {
      await db.close();
      silent.close();
    }
  });

  it("turns a connection the server terminates mid-transaction into DependencyUnavailableError", async () => {
    const db = new Database(createPostgresDriver(live.url, 2), "terminated");
    const admin = new pg.Client({ connectionString: live.url });
    await admin.connect();
    try {
      const err = await rejection(
        db.transaction(async (tx) => {
          const [row] = await tx.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
          // SQLSTATE 57P01 admin_shutdown, what a server shutdown or a failover sends.
          await admin.query("SELECT pg_terminate_backend($1)", [row?.pid]);
          await tx.query("SELECT pg_sleep(2)");
        }),
      );
      expectPostgresDown(err);
      // The pool replaced the dead connection.
      expect(await db.query("SELECT 1 AS one")).toEqual([{ one: 1 }]);
    } finally {
      await admin.end();
      await db.close();
    }
  });

  it("keeps the caller's SQL errors, and what the transaction's own code throws, as they are", async () => {
    const db = new Database(createPostgresDriver(live.url, 2), "caller-errors");
    try {
      await db.query("CREATE TABLE t (id int PRIMARY KEY)");
      await db.query("INSERT INTO t VALUES (1)");
      const duplicate = await rejection(db.query("INSERT INTO t VALUES (1)"));
      expect(isUniqueViolation(duplicate)).toBe(true);
      expect(duplicate).not.toBeInstanceOf(DependencyUnavailableError);
      expect(await rejection(db.query("SELEC 1"))).toMatchObject({ code: "42601" });
      // A refused connection to something else (a neighbour) inside a transaction is not PostgreSQL's.
      const elsewhere = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
      const err = await rejection(
        db.transaction(async () => {
          throw elsewhere;
        }),
      );
      expect(err).toBe(elsewhere);
    } finally {
      await db.close();
    }
  });
});

describe("a dependency outage through the HTTP app", () => {
  let app: HttpApp;
  let stopS3: () => Promise<void>;
  beforeAll(async () => {
    const s3 = await startTestS3("outage");
    stopS3 = s3.stop;
    const store = createS3Store({ ...s3, requestTimeoutMs: 1000 });
    await store.ensureReady();
    await s3.stop();
    app = await createHttpApp({ service: "outage", description: "test", logger: createLogger("silent") });
    app.get("/orders", async () => down.query("SELECT * FROM orders"));
    app.get("/models", async () => store.get("models/cube.stl"));
  });
  afterAll(async () => {
    await app.close();
    await stopS3().catch(() => {});
  });

  it.each([
    ["/orders", "postgres"],
    ["/models", "object_store"],
  ])("answers %s with 503, Retry-After and our error body, without the driver's text", async (url, dependency) => {
    const res = await app.inject({ method: "GET", url });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      error: { code: "dependency_unavailable", message: `${dependency} is unavailable; retry later` },
    });
    expect(res.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|connect|socket/i);
    // Set by http-app.ts's error handler from toErrorResponse's `headers`.
    expect(res.headers["retry-after"]).toBe("5");
  });

  it("gets the store's own error class from a stopped S3 server", async () => {
    const s3 = await startTestS3("outage-class");
    const store = createS3Store(s3);
    await s3.stop();
    expect(await rejection(store.check())).toBeInstanceOf(ObjectStoreUnavailableError);
  });
});
