import type { AddressInfo } from "node:net";
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createAuth } from "../src/auth.ts";
import { DEFAULT_EDGE } from "../src/client-limits.ts";
import type { EdgeSettings } from "../src/config.ts";
import { acceptModelUploads, createHttpApp, type HttpApp } from "../src/http-app.ts";
import { createLogger } from "../src/logger.ts";
import { requireRole } from "../src/request-auth.ts";

const auth = createAuth("a-secret-of-sufficient-length");
let app: HttpApp | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** An app with a manager-only upload route and a slow route, listening on a free loopback port. */
async function start(edge: Partial<EdgeSettings>): Promise<number> {
  app = await createHttpApp({
    service: "limits",
    description: "test",
    logger: createLogger("silent"),
    edge: { ...DEFAULT_EDGE, maxEventLoopDelayMs: 0, ...edge },
    auth,
  });
  acceptModelUploads(app);
  app.post(
    "/upload",
    { bodyLimit: 200 * 1024 * 1024, config: { upload: true }, onRequest: requireRole(auth, "manager") },
    async (request) => ({ bytes: (request.body as Buffer).length }),
  );
  app.get("/ping", async () => ({ ok: true }));
  app.get("/slow", async () => {
    await new Promise((r) => setTimeout(r, 300));
    return { ok: true };
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  return (app.server.address() as AddressInfo).port;
}

/** A raw connection: what the server sent, and whether (and when) it closed the socket. */
function rawConnection(port: number) {
  const socket: Socket = connect(port, "127.0.0.1");
  let received = "";
  socket.on("data", (d) => {
    received += d;
  });
  socket.on("error", () => {});
  const closed = new Promise<number>((resolve) => {
    const opened = performance.now();
    socket.on("close", () => resolve(performance.now() - opened));
  });
  return { socket, closed, received: () => received };
}

const jsonBody = (raw: string) => JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4));

describe("client deadlines and limits", () => {
  it("cuts off a body sent one byte at a time at the request deadline, with a 408 in the JSON shape", async () => {
    const port = await start({ requestTimeoutMs: 1000, headersTimeoutMs: 1000 });
    const c = rawConnection(port);
    const manager = `Bearer ${auth.sign({ sub: "m", role: "manager" })}`;
    c.socket.write(
      `POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: ${manager}\r\nContent-Type: application/octet-stream\r\nContent-Length: 100\r\n\r\n`,
    );
    const trickle = setInterval(() => c.socket.writable && c.socket.write("a"), 100);
    const closedAfterMs = await c.closed;
    clearInterval(trickle);
    // The trickle would take 10 s; the deadline is 1 s, checked every 250 ms.
    expect(closedAfterMs).toBeLessThan(5000);
    expect(c.received()).toMatch(/^HTTP\/1.1 408/);
    expect(jsonBody(c.received()).error.code).toBe("request_timeout");
  });

  it("answers headers too large with 431 in the JSON shape", async () => {
    const port = await start({});
    const c = rawConnection(port);
    c.socket.write(`GET /slow HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(40_000)}\r\n\r\n`);
    await c.closed;
    expect(c.received()).toMatch(/^HTTP\/1.1 431/);
    expect(jsonBody(c.received()).error.code).toBe("headers_too_large");
  });

  it("refuses an anonymous upload before its body arrives", async () => {
    const port = await start({});
    const c = rawConnection(port);
    // 90 MB announced, none sent: the 401 must come from the headers alone.
    c.socket.write(
      "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 94371840\r\n\r\n",
    );
    for (let i = 0; i < 100 && !c.received().includes("\r\n\r\n{"); i++) await new Promise((r) => setTimeout(r, 20));
    expect(c.received()).toMatch(/^HTTP\/1.1 401/);
    expect(jsonBody(c.received()).error.code).toBe("unauthorized");
    // And it hangs up instead of reading the 90 MB it will never use.
    expect(c.received()).toMatch(/connection: close/i);
    const keepSending = setInterval(() => c.socket.writable && c.socket.write(Buffer.alloc(64 * 1024)), 5);
    expect(await c.closed).toBeLessThan(5000);
    clearInterval(keepSending);
  });

  it("holds no more connections than the cap", async () => {
    const port = await start({ maxConnections: 2 });
    const a = rawConnection(port);
    const b = rawConnection(port);
    await new Promise((r) => setTimeout(r, 100));
    const third = rawConnection(port);
    await third.closed;
    expect(third.received()).toBe("");
    for (const c of [a, b]) c.socket.write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    for (let i = 0; i < 100 && !(a.received() && b.received()); i++) await new Promise((r) => setTimeout(r, 20));
    expect(a.received()).toMatch(/^HTTP\/1.1 200/);
    expect(b.received()).toMatch(/^HTTP\/1.1 200/);
    a.socket.destroy();
    b.socket.destroy();
  });

  it("answers a request whose headers finish arriving while stopping with 503 in the JSON shape", async () => {
    const port = await start({});
    const c = rawConnection(port);
    // Half a request: the connection is not idle, so stopping does not drop it.
    c.socket.write("GET /slow HTTP/1.1\r\nHost: x\r\n");
    await new Promise((r) => setTimeout(r, 100));
    const closing = app?.close();
    app = undefined;
    await new Promise((r) => setTimeout(r, 50));
    c.socket.write("\r\n");
    await c.closed;
    await closing;
    const answer = c.received();
    expect(answer).toMatch(/^HTTP\/1.1 503/);
    expect(answer).toMatch(/connection: close/i);
    expect(answer).toMatch(/retry-after: 1/i);
    expect(jsonBody(answer).error.code).toBe("shutting_down");
  });

  it("answers requests in flight when stopping with Connection: close, and closes their sockets without a reset", async () => {
    const port = await start({});
    const clients = Array.from({ length: 5 }, () => rawConnection(port));
    const resets: string[] = [];
    for (const c of clients) {
      c.socket.on("error", (err: NodeJS.ErrnoException) => resets.push(err.code ?? "error"));
      c.socket.write("GET /slow HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n");
    }
    await new Promise((r) => setTimeout(r, 100));
    const closing = app?.close();
    app = undefined;
    await Promise.all(clients.map((c) => c.closed));
    await closing;
    for (const c of clients) {
      expect(c.received()).toMatch(/^HTTP\/1.1 200/);
      expect(c.received()).toMatch(/connection: close/i);
    }
    expect(resets).toEqual([]);
  });

  it("drains before stopping: answers close their connections, new ones are still served, nothing is reset", async () => {
    const port = await start({});
    const resets: string[] = [];
    const ask = async () => {
      const c = rawConnection(port);
      c.socket.on("error", (err: NodeJS.ErrnoException) => resets.push(err.code ?? "error"));
      c.socket.write("GET /ping HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n");
      await c.closed.catch(() => 0);
      return c.received();
    };
    const busy = rawConnection(port);
    busy.socket.write("GET /ping HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n");
    await new Promise((r) => setTimeout(r, 50));
    // Before the drain the keep-alive connection stays open after its answer.
    expect(busy.received()).not.toMatch(/connection: close/i);
    const draining = app?.drain(300);
    busy.socket.write("GET /ping HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n");
    // During the drain: the keep-alive connection is answered and closed cleanly; a new one is served.
    await busy.closed;
    expect(busy.received().split(/(?=HTTP\/1.1 )/)[1]).toMatch(/^HTTP\/1.1 200[\s\S]*connection: close/i);
    expect(await ask()).toMatch(/^HTTP\/1.1 200[\s\S]*connection: close/i);
    await draining;
    await app?.close();
    app = undefined;
    expect(resets).toEqual([]);
  });

  it("sheds load with a 503 in the JSON shape while the event loop is saturated", async () => {
    await start({ maxEventLoopDelayMs: 20 });
    const stressUntil = performance.now() + 4000;
    let status = 0;
    let body: { error?: { code: string } } = {};
    // Keep the loop blocked 100 ms at a time, and ask between the blocks.
    while (performance.now() < stressUntil && status !== 503) {
      const blockUntil = performance.now() + 100;
      while (performance.now() < blockUntil) {}
      await new Promise((r) => setTimeout(r, 1));
      const res = await app?.inject({ method: "GET", url: "/ping" });
      status = res?.statusCode ?? 0;
      body = res?.json() ?? {};
    }
    expect(status).toBe(503);
    expect(body.error?.code).toBe("overloaded");
  });
});
