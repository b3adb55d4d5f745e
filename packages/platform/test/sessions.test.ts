import type { LightMyRequestResponse } from "fastify";
import { Type } from "typebox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuth, TICKET_LIFETIME_S } from "../src/auth.ts";
import { DEFAULT_EDGE } from "../src/client-limits.ts";
import { createHttpApp, type HttpApp, principalOf } from "../src/http-app.ts";
import { createLogger } from "../src/logger.ts";
import { requireRole } from "../src/request-auth.ts";
import { DEMO_PRINCIPALS } from "../src/session-routes.ts";

const auth = createAuth("a-secret-of-sufficient-length");
const other = createAuth("another-secret-of-sufficient-length");
const HOST = "127.0.0.1:3001";
const SAME = { host: HOST, origin: `http://${HOST}` };
const COOKIE = "printfab_shop_session";

async function makeApp(demo: boolean, secureCookie = false): Promise<HttpApp> {
  const app = await createHttpApp({
    service: "shop",
    description: "test",
    logger: createLogger("silent"),
    auth,
    edge: { ...DEFAULT_EDGE, maxEventLoopDelayMs: 0, sessions: { demo, secureCookie } },
  });
  const customer = requireRole(auth, "customer");
  app.get("/mine", { onRequest: customer }, async (request) => ({ sub: principalOf(request).sub }));
  app.post("/mine", { onRequest: customer }, async (request) => ({ sub: principalOf(request).sub }));
  app.get(
    "/stream",
    {
      onRequest: customer,
      config: { ticket: true },
      schema: { querystring: Type.Object({ ticket: Type.Optional(Type.String()) }) },
    },
    async (request) => ({ sub: principalOf(request).sub }),
  );
  return app;
}

const cookieOf = (res: LightMyRequestResponse) => res.cookies.find((c) => c.name === COOKIE);

let app: HttpApp;
let demoApp: HttpApp;
beforeAll(async () => {
  app = await makeApp(false, true);
  demoApp = await makeApp(true);
});
afterAll(async () => {
  await app.close();
  await demoApp.close();
});

describe("sign-in with the identity provider's token", () => {
  const token = auth.sign({ sub: "7", role: "customer" }, 600);

  it("sets an HttpOnly, SameSite=Strict cookie holding the session, and tells who signed in", async () => {
    const res = await app.inject({ method: "POST", url: "/auth/session", headers: SAME, payload: { token } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ sub: "7", role: "customer" });
    const cookie = cookieOf(res);
    expect(cookie).toMatchObject({ value: token, httpOnly: true, sameSite: "Strict", secure: true, path: "/" });
    expect(cookie?.maxAge).toBeGreaterThan(500);
    expect(cookie?.maxAge).toBeLessThanOrEqual(600);
    // The token is in the cookie only: the answer a page script reads does not carry it.
    expect(res.body).not.toContain(token);
  });

  it("refuses a forged token, a ticket, a service token, and a sign-in from another origin", async () => {
    const forged = other.sign({ sub: "7", role: "customer" });
    const ticket = auth.signTicket({
      principal: { sub: "7", role: "customer" },
      expiresAt: Date.now() / 1000 + 600,
    }).ticket;
    const service = auth.sign({ sub: "shop", role: "service" });
    const post = (t: string, headers: Record<string, string> = SAME) =>
      app.inject({ method: "POST", url: "/auth/session", headers, payload: { token: t } });
    expect((await post(forged)).statusCode).toBe(401);
    expect((await post(ticket)).statusCode).toBe(401);
    expect((await post(service)).statusCode).toBe(403);
    expect((await post(token, { host: HOST, origin: "https://evil.example" })).statusCode).toBe(403);
    expect((await post(token, { host: HOST })).statusCode).toBe(403);
    expect((await post("x".repeat(5000))).statusCode).toBe(400);
  });

  it("answers who the session is, and signs out by clearing the cookie", async () => {
    const cookies = { [COOKIE]: token };
    const who = await app.inject({ method: "GET", url: "/auth/session", cookies });
    expect(who.json()).toMatchObject({ sub: "7", role: "customer" });
    expect((await app.inject({ method: "GET", url: "/auth/session" })).statusCode).toBe(401);
    const out = await app.inject({ method: "DELETE", url: "/auth/session", headers: SAME, cookies });
    expect(out.statusCode).toBe(204);
    expect(cookieOf(out)?.value).toBe("");
  });
});

describe("the cookie on the API", () => {
  const cookies = { [COOKIE]: auth.sign({ sub: "7", role: "customer" }, 600) };

  it("authenticates reads, and changes only from the service's own origin", async () => {
    expect((await app.inject({ method: "GET", url: "/mine", cookies })).json()).toEqual({ sub: "7" });
    const post = (headers: Record<string, string>) => app.inject({ method: "POST", url: "/mine", cookies, headers });
    expect((await post(SAME)).json()).toEqual({ sub: "7" });
    expect((await post({ host: HOST, origin: "http://127.0.0.1:3003" })).statusCode).toBe(403);
    expect((await post({ host: HOST, origin: "null" })).statusCode).toBe(403);
    expect((await post({ host: HOST })).statusCode).toBe(403);
  });

  it("is another service's cookie only by name: MES's cookie does not open the Shop", async () => {
    const res = await app.inject({ method: "GET", url: "/mine", cookies: { printfab_mes_session: cookies[COOKIE] } });
    expect(res.statusCode).toBe(401);
  });

  it("a bearer token wins over the cookie, and the cookie's role rules apply", async () => {
    const manager = auth.sign({ sub: "m", role: "manager" });
    const res = await app.inject({
      method: "GET",
      url: "/mine",
      cookies,
      headers: { authorization: `Bearer ${manager}` },
    });
    expect(res.statusCode).toBe(403);
  });
});

describe("tickets for event streams", () => {
  it("are issued to a signed-in client and open only the routes that take them", async () => {
    const bearer = { authorization: `Bearer ${auth.sign({ sub: "7", role: "customer" })}` };
    const issued = await app.inject({ method: "POST", url: "/auth/ticket", headers: bearer });
    expect(issued.statusCode).toBe(200);
    const { ticket, expiresAt } = issued.json() as { ticket: string; expiresAt: string };
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(TICKET_LIFETIME_S * 1000);
    const stream = await app.inject({ method: "GET", url: `/stream?ticket=${ticket}` });
    expect(stream.json()).toEqual({ sub: "7" });
    expect((await app.inject({ method: "GET", url: `/mine?ticket=${ticket}` })).statusCode).toBe(401);
    const asBearer = await app.inject({ method: "GET", url: "/mine", headers: { authorization: `Bearer ${ticket}` } });
    expect(asBearer.statusCode).toBe(401);
    expect((await app.inject({ method: "POST", url: "/auth/ticket" })).statusCode).toBe(401);
  });

  it("expire after a minute, and give the streams they open no longer than their session", async () => {
    let now = Date.now();
    const clocked = createAuth("a-secret-of-sufficient-length", { now: () => now, clockToleranceSeconds: 0 });
    const session = { principal: { sub: "7", role: "customer" as const }, expiresAt: Math.floor(now / 1000) + 3600 };
    const { ticket } = clocked.signTicket(session);
    expect(clocked.verify(ticket, "ticket")).toEqual(session);
    now += (TICKET_LIFETIME_S + 1) * 1000;
    expect(() => clocked.verify(ticket, "ticket")).toThrow(/expired/);
    // Issued by a session that ends sooner, the ticket ends with it.
    const short = clocked.signTicket({ ...session, expiresAt: Math.floor(now / 1000) + 10 });
    expect(short.expiresAt).toBe(Math.floor(now / 1000) + 10);
  });
});

describe("the embedded demo's sign-in", () => {
  it("signs a visitor in as the demo customer, operator or manager", async () => {
    for (const role of ["customer", "operator", "manager"] as const) {
      const res = await demoApp.inject({ method: "POST", url: "/auth/demo", headers: SAME, payload: { role } });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject(DEMO_PRINCIPALS[role]);
      expect(cookieOf(res)).toMatchObject({ httpOnly: true, sameSite: "Strict" });
      expect(cookieOf(res)?.secure).toBeFalsy();
    }
  });

  it("is announced by GET /auth/options, for the page to offer it", async () => {
    expect((await demoApp.inject({ method: "GET", url: "/auth/options" })).json()).toEqual({ demo: true });
    expect((await app.inject({ method: "GET", url: "/auth/options" })).json()).toEqual({ demo: false });
  });

  it("refuses other roles and foreign origins, and does not exist outside the demo", async () => {
    const post = (a: HttpApp, payload: unknown, headers = SAME) =>
      a.inject({ method: "POST", url: "/auth/demo", headers, payload: payload as object });
    expect((await post(demoApp, { role: "service" })).statusCode).toBe(400);
    expect((await post(demoApp, { role: "customer" }, { host: HOST, origin: "http://evil.example" })).statusCode).toBe(
      403,
    );
    expect((await post(app, { role: "manager" })).statusCode).toBe(404);
  });
});
