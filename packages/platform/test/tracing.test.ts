import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-node";
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from "@printfab/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.ts";
import { Database } from "../src/database.ts";
import { AppError } from "../src/errors.ts";
import { createHttpApp } from "../src/http-app.ts";
import { createLogger } from "../src/logger.ts";
import { createNeighbourClient } from "../src/neighbour-client.ts";
import { createPostgresDriver } from "../src/postgres-driver.ts";
import { otlpTracesUrl, startTracing, type Tracing, tracingActive, tracingWanted } from "../src/tracing.ts";

describe("tracing settings", () => {
  const settings = (env: Record<string, string>) => loadConfig({ AUTH_SECRET: "0123456789abcdef", ...env }).tracing;

  it("traces with an endpoint by default, always when on, never when off", () => {
    expect(tracingWanted(settings({}))).toBe(false);
    expect(tracingWanted(settings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" }))).toBe(true);
    expect(tracingWanted(settings({ TRACING: "on" }))).toBe(true);
    expect(tracingWanted(settings({ TRACING: "off", OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" }))).toBe(
      false,
    );
    expect(() => settings({ TRACING: "yes" })).toThrow(ConfigError);
    expect(() => settings({ OTEL_EXPORTER_OTLP_ENDPOINT: "not a url" })).toThrow(ConfigError);
  });

  it("names the service after SERVICE, 'printfab' for all of them, unless OTEL_SERVICE_NAME says otherwise", () => {
    expect(settings({}).serviceName).toBe("printfab");
    expect(settings({ SERVICE: "mes" }).serviceName).toBe("mes");
    expect(settings({ SERVICE: "mes", OTEL_SERVICE_NAME: "mes-eu" }).serviceName).toBe("mes-eu");
  });

  it("sends to <endpoint>/v1/traces, as OTEL_EXPORTER_OTLP_ENDPOINT is defined", () => {
    expect(otlpTracesUrl("http://collector:4318")).toBe("http://collector:4318/v1/traces");
    expect(otlpTracesUrl("http://collector:4318/")).toBe("http://collector:4318/v1/traces");
    expect(otlpTracesUrl("https://gw.example/otlp")).toBe("https://gw.example/otlp/v1/traces");
  });
});

describe("the SDK's lifecycle", () => {
  it("starts only when wanted, once per process, and leaves the API a no-op when stopped", async () => {
    expect(startTracing({ mode: "auto", endpoint: undefined, serviceName: "t" })).toBeUndefined();
    expect(tracingActive()).toBe(false);
    const first = startTracing({ mode: "on", endpoint: undefined, serviceName: "t" }) as Tracing;
    expect(first).toMatchObject({ exporting: false });
    expect(startTracing({ mode: "on", endpoint: undefined, serviceName: "t" }), "one SDK per process").toBeUndefined();
    expect(trace.getTracer("t").startSpan("s").isRecording()).toBe(true);
    await first.shutdown();
    expect(tracingActive()).toBe(false);
    expect(trace.getTracer("t").startSpan("s").isRecording()).toBe(false);
  });
});

describe("spans of the platform's adapters", () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  let database: TestDatabase;
  let db: Database;
  let neighbour: Server;
  const headersSeen: Array<string | string[] | undefined> = [];

  beforeAll(async () => {
    tracing = startTracing(
      { mode: "on", endpoint: undefined, serviceName: "t" },
      { spanProcessors: [new SimpleSpanProcessor(exporter)] },
    ) as Tracing;
    database = await createTestDatabase();
    db = new Database(createPostgresDriver(database.url, 2), "t");
    await db.query("CREATE TABLE parts (id int PRIMARY KEY)");
    neighbour = createServer((req, res) => {
      headersSeen.push(req.headers.traceparent);
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    });
    await new Promise<void>((r) => neighbour.listen(0, "127.0.0.1", r));
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
    await new Promise((r) => neighbour?.close(r));
    await tracing?.shutdown();
  });

  /** Runs `fn` under a request's span and returns the spans it made below it (the request's own left out). */
  async function traced(fn: () => Promise<unknown>): Promise<ReadableSpan[]> {
    exporter.reset();
    await trace.getTracer("test").startActiveSpan("request", async (span: Span) => {
      try {
        await fn();
      } finally {
        span.end();
      }
    });
    return exporter.getFinishedSpans().filter((s) => s.name !== "request");
  }
  const parentOf = (s: ReadableSpan | undefined) => s?.parentSpanContext?.spanId;

  it("makes a span per statement, a transaction's under its own, and a failed one an error", async () => {
    const spans = await traced(async () => {
      await db.query("SELECT count(*) FROM parts");
      await db.transaction(async (tx) => {
        await tx.query("INSERT INTO parts (id) VALUES ($1)", [1]);
        await tx.query("UPDATE parts SET id = 2 WHERE id = $1", [1]);
      });
      await db.query("INSERT INTO parts (id) VALUES (2)").catch(() => {});
    });
    expect(spans.map((s) => s.name)).toEqual(["SELECT", "INSERT", "UPDATE", "TRANSACTION", "INSERT"]);
    const [select, insert, update, tx, duplicate] = spans;
    expect(select?.attributes).toMatchObject({
      "db.system.name": "postgresql",
      "db.operation.name": "SELECT",
      "db.query.text": "SELECT count(*) FROM parts",
      "printfab.db.driver": "postgres",
    });
    expect(select?.kind).toBe(SpanKind.CLIENT);
    expect([parentOf(insert), parentOf(update)]).toEqual([tx?.spanContext().spanId, tx?.spanContext().spanId]);
    expect(duplicate?.status.code).toBe(SpanStatusCode.ERROR);
    exporter.reset();
    await db.query("SELECT 1");
    expect(exporter.getFinishedSpans(), "no span outside a traced operation").toEqual([]);
  });

  it("makes a client span per call to a neighbour and sends its context in traceparent", async () => {
    const url = `http://127.0.0.1:${(neighbour.address() as AddressInfo).port}`;
    const client = createNeighbourClient({ name: "MES", baseUrl: url, timeoutMs: 2000, token: () => "t" });
    headersSeen.length = 0;
    const [call] = await traced(() => client.request("GET", "/orders/7"));
    expect(call).toMatchObject({ name: "GET MES", kind: SpanKind.CLIENT });
    expect(call?.attributes).toMatchObject({ "http.response.status_code": 200, "url.full": `${url}/orders/7` });
    const { traceId, spanId } = call?.spanContext() ?? {};
    expect(headersSeen).toEqual([`00-${traceId}-${spanId}-01`]);
    await client.request("GET", "/orders/7");
    expect(headersSeen[1], "no context outside a traced operation").toBeUndefined();

    const gone = createNeighbourClient({
      name: "MES",
      baseUrl: "http://127.0.0.1:1",
      timeoutMs: 2000,
      token: () => "t",
    });
    let failure: unknown;
    const [failed] = await traced(() => gone.request("GET", "/orders/7").catch((err) => (failure = err)));
    expect(failure).toBeInstanceOf(AppError);
    expect(failed?.status).toMatchObject({ code: SpanStatusCode.ERROR, message: "MES is unreachable" });
  });

  it("makes a span per Redis command inside a traced operation, none outside one", async () => {
    const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });
    await redis.connect();
    try {
      const key = `pf-tracing-test:${process.pid}`;
      const spans = await traced(async () => {
        await redis.set(key, "1", "PX", 5000);
        await redis.multi().get(key).del(key).exec();
      });
      const names = spans.map((s) => s.name);
      expect(names).toContain("SET");
      expect(names).toContain("MULTI");
      expect(spans.find((s) => s.name === "SET")?.attributes).toMatchObject({
        "db.system.name": "redis",
        "db.operation.name": "SET",
        "server.address": "127.0.0.1",
      });
      exporter.reset();
      await redis.get(key);
      expect(exporter.getFinishedSpans(), "no span outside a traced operation").toEqual([]);
    } finally {
      redis.disconnect();
    }
  });

  it("gives a route's request a server span named by its template, an error on a 5xx", async () => {
    const app = await createHttpApp({ service: "probe", description: "t", logger: createLogger("silent") });
    app.get("/parts/:id", async (request) => {
      if ((request.params as { id: string }).id === "0") throw new Error("broken");
      await db.query("SELECT 1");
      return { ok: true };
    });
    exporter.reset();
    await app.inject({ url: "/parts/1" });
    await app.inject({ url: "/parts/0" });
    await app.close();
    const servers = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);
    expect(servers.map((s) => [s.name, s.attributes["http.response.status_code"], s.status.code])).toEqual([
      ["GET /parts/:id", 200, SpanStatusCode.UNSET],
      ["GET /parts/:id", 500, SpanStatusCode.ERROR],
    ]);
    const select = exporter.getFinishedSpans().find((s) => s.name === "SELECT");
    expect(parentOf(select), "the handler runs inside the request's span").toBe(servers[0]?.spanContext().spanId);
  });
});
