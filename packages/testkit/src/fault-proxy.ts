import { createConnection, createServer, type Server, type Socket } from "node:net";

/** Which way bytes go: `upstream` is client to server, `downstream` server to client. */
export type Direction = "upstream" | "downstream";

export type FaultMode =
  | { kind: "pass" }
  /** Nothing is forwarded either way; sockets stay open and bytes wait, delivered when passing again. */
  | { kind: "pause" }
  /** One direction's bytes are dropped while sockets stay open: a half-open connection. */
  | { kind: "blackhole"; direction: Direction };

interface Pipe {
  client: Socket;
  server: Socket;
  /** Bytes were dropped: the stream cannot go on, so healing resets it (a real half-open one never heals). */
  broken: boolean;
}

/**
 * A loopback TCP proxy in front of a real server, for fault tests: pass, pause, blackhole one direction
 * (half-open), added latency, and reset (sockets destroyed with RST). Modes apply to every connection,
 * open and new; connections made through it while it blackholes get nothing through in that direction.
 */
export class FaultProxy {
  readonly #server: Server;
  readonly #pipes = new Set<Pipe>();
  #mode: FaultMode = { kind: "pass" };
  #latencyMs = 0;

  private constructor(
    server: Server,
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {
    this.#server = server;
    server.on("connection", (client) => this.#accept(client));
  }

  static async start(target: { host?: string; port: number }): Promise<FaultProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    return new FaultProxy(server, port, { host: target.host ?? "127.0.0.1", port: target.port });
  }

  get mode(): FaultMode {
    return this.#mode;
  }

  /** Open connections through the proxy. */
  get connections(): number {
    return this.#pipes.size;
  }

  /** A URL of the same scheme as `url` (e.g. redis://) pointing at the proxy instead. */
  url(scheme = "redis"): string {
    return `${scheme}://127.0.0.1:${this.port}`;
  }

  /** Forwards again: paused bytes flow, and connections that lost bytes to a blackhole are reset. */
  pass(): void {
    this.#mode = { kind: "pass" };
    for (const p of [...this.#pipes]) {
      if (p.broken) this.#reset(p);
      else this.#resume(p);
    }
  }

  pause(): void {
    this.#mode = { kind: "pause" };
    for (const p of this.#pipes) {
      p.client.pause();
      p.server.pause();
    }
  }

  blackhole(direction: Direction): void {
    this.#mode = { kind: "blackhole", direction };
    for (const p of this.#pipes) this.#resume(p);
  }

  /** Each chunk is delivered this much later, in order (0: none). */
  latency(ms: number): void {
    this.#latencyMs = ms;
  }

  /** Destroys every open connection with RST, as a crashed peer or a firewall would; new ones pass. */
  reset(): void {
    for (const p of [...this.#pipes]) this.#reset(p);
  }

  async close(): Promise<void> {
    this.reset();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket) {
    const server = createConnection(this.target);
    const pipe: Pipe = { client, server, broken: false };
    this.#pipes.add(pipe);
    const end = () => {
      if (!this.#pipes.delete(pipe)) return;
      client.destroy();
      server.destroy();
    };
    for (const s of [client, server]) {
      s.setNoDelay(true);
      s.on("error", end);
      s.on("close", end);
    }
    this.#forward(pipe, client, server, "upstream");
    this.#forward(pipe, server, client, "downstream");
    if (this.#mode.kind === "pause") this.pause();
  }

  #forward(pipe: Pipe, from: Socket, to: Socket, direction: Direction) {
    let releaseAt = 0;
    from.on("data", (chunk: Buffer) => {
      const mode = this.#mode;
      if (mode.kind === "blackhole" && mode.direction === direction) {
        pipe.broken = true;
        return;
      }
      if (this.#latencyMs <= 0) {
        to.write(chunk);
        return;
      }
      // Chunks keep their order even when the latency changes between them.
      const now = performance.now();
      releaseAt = Math.max(releaseAt, now + this.#latencyMs);
      setTimeout(() => to.write(chunk), releaseAt - now);
    });
  }

  #resume(p: Pipe) {
    p.client.resume();
    p.server.resume();
  }

  #reset(p: Pipe) {
    this.#pipes.delete(p);
    p.client.resetAndDestroy();
    p.server.resetAndDestroy();
  }
}

/** A proxy on a free loopback port in front of `target`. */
export function startFaultProxy(target: { host?: string; port: number }): Promise<FaultProxy> {
  return FaultProxy.start(target);
}
