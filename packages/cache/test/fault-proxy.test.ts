import { createConnection, createServer, type Server, type Socket } from "node:net";
import { type FaultProxy, startFaultProxy } from "@printfab/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sleep, until } from "./support/caches.ts";

// The test kit's proxy, tried on a TCP echo server: what each mode lets through, and what it breaks.
let echo: Server;
let echoPort: number;
let received = "";
beforeAll(async () => {
  echo = createServer((s) => {
    // The proxy resets connections on purpose.
    s.on("error", () => {});
    s.on("data", (d) => {
      received += d.toString();
      s.write(d);
    });
  });
  await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
  echoPort = (echo.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((r) => echo.close(() => r())));

let proxy: FaultProxy;
const clients: Socket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await proxy?.close();
  received = "";
});

async function client() {
  const socket = createConnection({ port: proxy.port, host: "127.0.0.1" });
  clients.push(socket);
  const state = { text: "", closed: false, error: undefined as NodeJS.ErrnoException | undefined };
  socket.on("data", (d) => {
    state.text += d.toString();
  });
  socket.on("error", (e) => {
    state.error = e;
  });
  socket.on("close", () => {
    state.closed = true;
  });
  await new Promise((r) => socket.once("connect", r));
  await until(() => proxy.connections === 1, 2000, "the proxy's connection");
  return { socket, state };
}

describe("FaultProxy", () => {
  it("passes bytes both ways, and adds latency in order", async () => {
    proxy = await startFaultProxy({ port: echoPort });
    const c = await client();
    c.socket.write("ping");
    await until(() => c.state.text === "ping", 2000, "the echo");
    proxy.latency(150);
    const started = performance.now();
    c.socket.write("a");
    c.socket.write("b");
    await until(() => c.state.text === "pingab", 2000, "the slow echo");
    // Two crossings of 150 ms each; a generous lower bound only.
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(proxy.url()).toBe(`redis://127.0.0.1:${proxy.port}`);
  });

  it("pause holds bytes both ways with the sockets open, and delivers them on pass", async () => {
    proxy = await startFaultProxy({ port: echoPort });
    const c = await client();
    proxy.pause();
    expect(proxy.mode).toEqual({ kind: "pause" });
    c.socket.write("held");
    await sleep(100);
    expect(received).toBe("");
    expect(c.state.closed).toBe(false);
    proxy.pass();
    await until(() => c.state.text === "held", 2000, "the held bytes");
  });

  it("blackholes one direction (half-open), then resets what lost bytes when healed", async () => {
    proxy = await startFaultProxy({ port: echoPort });
    const c = await client();
    proxy.blackhole("downstream");
    c.socket.write("lost");
    await until(() => received === "lost", 2000, "the server's copy");
    await sleep(100);
    expect(c.state.text).toBe("");
    expect(c.state.closed).toBe(false);
    proxy.pass();
    await until(() => c.state.closed, 2000, "the reset");
    expect(c.state.error?.code).toBe("ECONNRESET");
  });

  it("blackholes the way up too: the server hears nothing", async () => {
    proxy = await startFaultProxy({ port: echoPort });
    const c = await client();
    proxy.blackhole("upstream");
    c.socket.write("unheard");
    await sleep(100);
    expect(received).toBe("");
  });

  it("reset destroys open connections with RST, and new ones pass", async () => {
    proxy = await startFaultProxy({ port: echoPort });
    const c = await client();
    proxy.reset();
    await until(() => c.state.closed, 2000, "the reset");
    expect(c.state.error?.code).toBe("ECONNRESET");
    const again = await client();
    again.socket.write("x");
    await until(() => again.state.text === "x", 2000, "the echo after a reset");
  });
});
