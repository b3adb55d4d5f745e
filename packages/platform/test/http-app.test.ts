import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { InjectOptions } from "fastify";
import { Type } from "typebox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuth } from "../src/auth.ts";
import { AppError } from "../src/errors.ts";
import { registerHealth } from "../src/health.ts";
import { createHttpApp, type HttpApp, principalOf } from "../src/http-app.ts";
import { createLogger } from "../src/logger.ts";
import { createNeighbourClient } from "../src/neighbour-client.ts";
import { requireRole } from "../src/request-auth.ts";
import { serviceToken } from "../src/service-token.ts";

const auth = createAuth("a-secret-of-sufficient-length");
let app: HttpApp;
let dbUp = true;
let storeUp = true;

beforeAll(async () => {
  app = await createHttpApp({
    service: "probe",
    description: "test",
    logger: createLogger("silent"),
    jsonBodyLimitBytes: 1024,
  });
  registerHealth(app, "probe", [
    {
      name: "postgres",
      critical: true,
      check: async () => {
        if (!dbUp) throw new Error("refused");
      },
    },
    {
      name: "objectStore",
      critical: false,
      check: async () => {
        if (!storeUp) throw new Error("down");
      },
    },
  ]);
  app.post(
    "/echo/:id",
    {
      onRequest: requireRole(auth, "manager"),
      schema: {
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        querystring: Type.Object({ n: Type.Optional(Type.Integer()) }),
        body: Type.Object({ count: Type.Integer() }, { additionalProperties: false }),
      },
    },
    async (req) => ({ id: req.params.id, n: req.query.n, count: req.body.count, by: principalOf(req).sub }),
  );
  app.get("/boom", async () => {
    throw new Error("secret internals");
  });
  app.get("/teapot", async () => {
    throw new AppError(418, "teapot", "short and stout");
  });
});
afterAll(() => app.close());

const inject = (opts: InjectOptions) => app.inject(opts);
const managerHeader = { authorization: `Bearer ${auth.sign({ sub: "m1", role: "manager" })}` };

describe("createHttpApp", () => {
  it("validates strictly: coerces path and query, never the body", async () => {
    const ok = await inject({ method: "POST", url: "/echo/5?n=7", headers: managerHeader, payload: { count: 2 } });
    expect(ok.json()).toEqual({ id: 5, n: 7, count: 2, by: "m1" });
    const wrongType = await inject({ method: "POST", url: "/echo/5", headers: managerHeader, payload: { count: "2" } });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json().error.code).toBe("bad_request");
    const extra = await inject({ method: "POST", url: "/echo/5", headers: managerHeader, payload: { count: 2, x: 1 } });
    expect(extra.statusCode).toBe(400);
    const badParam = await inject({ method: "POST", url: "/echo/abc", headers: managerHeader, payload: { count: 2 } });
    expect(badParam.statusCode).toBe(400);
  });

  it("answers malformed JSON, an oversized body and a missing route with the JSON error", async () => {
    const malformed = await inject({
      method: "POST",
      url: "/echo/1",
      headers: { ...managerHeader, "content-type": "application/json" },
      payload: "{nope",
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.code).toBe("bad_request");
    const big = await inject({
      method: "POST",
      url: "/echo/1",
      headers: managerHeader,
      payload: { count: 1, pad: "x".repeat(5000) },
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe("payload_too_large");
    const missing = await inject({ method: "GET", url: "/nowhere" });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe("not_found");
  });

  it("authenticates and authorizes, before the body is validated", async () => {
    expect((await inject({ method: "POST", url: "/echo/1", payload: { count: 1 } })).statusCode).toBe(401);
    // Anonymous with an invalid body: a 401, not a 400 that would describe the route's schema.
    const anonymousBadBody = await inject({ method: "POST", url: "/echo/1", payload: { nonsense: true } });
    expect(anonymousBadBody.statusCode).toBe(401);
    expect(anonymousBadBody.body).not.toMatch(/count/);
    const customer = { authorization: `Bearer ${auth.sign({ sub: "3", role: "customer" })}` };
    const res = await inject({ method: "POST", url: "/echo/1", headers: customer, payload: { count: 1 } });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe("forbidden");
  });

  it("answers a 3D file's content type on a JSON route with 415 in the JSON error shape", async () => {
    const res = await inject({
      method: "POST",
      url: "/echo/1",
      headers: { ...managerHeader, "content-type": "application/octet-stream" },
      payload: Buffer.from("solid x"),
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.code).toBe("unsupported_media_type");
  });

  it("answers a Content-Length that lies about the body in the JSON error shape", async () => {
    const res = await inject({
      method: "POST",
      url: "/echo/1",
      headers: { ...managerHeader, "content-type": "application/json", "content-length": "2" },
      payload: '{"count":1}',
    });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(Object.keys(res.json())).toEqual(["error"]);
    expect(res.json().error.code).toMatch(/^[a-z_]+$/);
  });

  it("hides a 500's internals and passes an AppError's status", async () => {
    const boom = await inject({ method: "GET", url: "/boom" });
    expect(boom.statusCode).toBe(500);
    expect(boom.body).not.toMatch(/secret internals/);
    expect((await inject({ method: "GET", url: "/teapot" })).json()).toEqual({
      error: { code: "teapot", message: "short and stout" },
    });
  });

  it("serves /metrics with the request histogram, and the OpenAPI document at /docs", async () => {
    const metrics = await inject({ method: "GET", url: "/metrics" });
    expect(metrics.body).toMatch(
      /http_request_duration_seconds_count\{service="probe",method="POST",route="\/echo\/:id",status="200"\}/,
    );
    const doc = await inject({ method: "GET", url: "/docs/json" });
    expect(doc.json().paths["/echo/{id}"]).toBeDefined();
  });
});

describe("registerHealth", () => {
  it("reports each dependency; degraded without the store, 503 without PostgreSQL", async () => {
    let res = await inject({ method: "GET", url: "/health" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: "ok",
      dependencies: { postgres: { status: "up" }, objectStore: { status: "up" } },
    });
    storeUp = false;
    res = await inject({ method: "GET", url: "/health" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: "degraded",
      dependencies: { objectStore: { status: "down" } },
    });
    expect(res.json().dependencies.objectStore.error).toBeUndefined();
    dbUp = false;
    res = await inject({ method: "GET", url: "/health" });
    expect(res.statusCode).toBe(503);
    expect(res.json().status).toBe("down");
    dbUp = storeUp = true;
  });
});

describe("createNeighbourClient", () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === "/slow") return void setTimeout(() => res.end("{}"), 1000);
      if (req.url === "/fail") return void res.writeHead(500).end('{"error":{}}');
      if (req.url === "/busy") return void res.writeHead(503).end('{"error":{"code":"busy","message":"later"}}');
      if (req.url === "/garbage") return void res.end("<html>");
      res.writeHead(req.url === "/missing" ? 404 : 200, { "content-type": "application/json" });
      res.end(JSON.stringify({ auth: req.headers.authorization, method: req.method }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const client = (baseUrl: string) =>
    createNeighbourClient({ name: "MES", baseUrl, timeoutMs: 200, token: serviceToken(auth, "shop") });
  const failsWith = async (p: Promise<unknown>, status: number, code: string) => {
    const err = (await p.catch((e) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect([err.statusCode, err.code]).toEqual([status, code]);
  };

  it("returns 2xx and 4xx answers with the service token", async () => {
    const ok = await client(base).request<{ auth: string; method: string }>("POST", "/x", { a: 1 });
    expect(ok.status).toBe(200);
    expect(auth.authenticate(ok.body.auth)).toEqual({ sub: "shop", role: "service" });
    expect((await client(base).request("GET", "/missing")).status).toBe(404);
  });

  it("turns a late answer into 504 and an unreachable or failing neighbour into 502", async () => {
    await failsWith(client(base).request("GET", "/slow"), 504, "neighbour_timeout");
    await failsWith(client(base).request("GET", "/fail"), 502, "neighbour_error");
    // "Busy, retry" is the caller's to pass on, not a failure of the neighbour.
    expect((await client(base).request("GET", "/busy")).status).toBe(503);
    await failsWith(client(base).request("GET", "/garbage"), 502, "neighbour_error");
    await failsWith(client("http://127.0.0.1:1").request("GET", "/"), 502, "neighbour_unavailable");
  });
});
