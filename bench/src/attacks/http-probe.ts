import { once } from "node:events";
import { connect, isIP, type Socket } from "node:net";
import { ResponseReader } from "./response-reader.ts";

/** A body written piece by piece (paced or streamed); it stops as soon as the server has answered. */
export type BodySource = AsyncIterable<Uint8Array>;

export interface ProbeRequest {
  url: string;
  method?: string;
  headers?: Record<string, string | number>;
  /** Sent whole, or... */
  body?: Uint8Array | string;
  /** ...piece by piece, with the Content-Length the caller set in `headers`. */
  stream?: BodySource;
  /** The loopback address the attacker speaks from: per-client limits count by address. */
  localAddress?: string;
  /** The connection is closed by us after this long without a complete answer. */
  limitMs: number;
}

export interface Answer {
  outcome: "answered" | "closed" | "limit";
  status?: number;
  headers?: Record<string, string>;
  body: string;
  /** Until the answer's status line, the server's close, or our limit. */
  ms: number;
  /** Body bytes handed to the socket by then. */
  bytesSent: number;
  /** The socket's error code when it ended without an answer (ECONNRESET, ECONNREFUSED, ...). */
  error?: string;
}

/** Traffic goes to this machine only: a loopback name or address, never anything else. */
export function assertLoopback(url: string): URL {
  const parsed = new URL(url);
  const host = hostOf(parsed);
  const loopback = host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."));
  if (!loopback) throw new Error(`refusing to attack ${url}: only 127.0.0.0/8, ::1 and localhost are targets`);
  return parsed;
}

const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, "");

/** The request line and headers; a whole body gets its Content-Length here, a streamed one brings its own. */
function requestHead(url: URL, probe: ProbeRequest): string {
  const headers: Record<string, string | number> = { host: url.host, ...probe.headers };
  if (probe.body !== undefined && headers["content-length"] === undefined) {
    headers["content-length"] = Buffer.byteLength(probe.body);
  }
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  return `${probe.method ?? "GET"} ${url.pathname}${url.search} HTTP/1.1\r\n${lines.join("\r\n")}\r\n\r\n`;
}

/** Resolves on 'drain', or on 'close' so that a server that hung up does not leave the writer waiting. */
async function drainOrClose(socket: Socket): Promise<void> {
  const ac = new AbortController();
  await Promise.race([
    once(socket, "drain", { signal: ac.signal }),
    once(socket, "close", { signal: ac.signal }),
  ]).catch(() => undefined);
  ac.abort();
}

/**
 * One HTTP/1.1 request on its own connection (keep-alive, as browsers send them), reporting what came
 * back and when, including a close with no answer. Never throws: an attack's every ending is a result.
 */
export function send(probe: ProbeRequest): Promise<Answer> {
  const url = assertLoopback(probe.url);
  const t0 = performance.now();
  const reader = new ResponseReader();
  let bytesSent = 0;
  let answeredAt: { ms: number; bytesSent: number } | undefined;
  let error: string | undefined;
  let settled = false;
  let timedOut = false;

  return new Promise<Answer>((resolve) => {
    const socket = connect({ host: hostOf(url), port: Number(url.port || 80), localAddress: probe.localAddress });
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const ms = performance.now() - t0;
      // Whatever part of an answer arrived is the answer, even if the connection then broke.
      if (reader.status !== undefined) {
        const { status, headers, body } = reader;
        resolve({ outcome: "answered", status, headers, body, ...(answeredAt ?? { ms, bytesSent }) });
      } else resolve({ outcome: timedOut ? "limit" : "closed", body: "", ms, bytesSent, error });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      finish();
    }, probe.limitMs);

    socket.on("data", (chunk: Buffer) => {
      const complete = reader.feed(chunk);
      if (reader.status !== undefined && !answeredAt) answeredAt = { ms: performance.now() - t0, bytesSent };
      if (complete) finish();
    });
    socket.on("error", (err: NodeJS.ErrnoException) => {
      error ??= err.code ?? err.message;
    });
    socket.on("close", finish);
    socket.on("connect", () => {
      socket.setNoDelay(true);
      socket.write(requestHead(url, probe));
      if (probe.stream) {
        void writeStream(
          socket,
          probe.stream,
          () => settled || answeredAt !== undefined,
          (n) => (bytesSent += n),
        );
      } else if (probe.body !== undefined) {
        bytesSent = Buffer.byteLength(probe.body);
        socket.write(probe.body);
      }
    });
  });
}

async function writeStream(
  socket: Socket,
  source: BodySource,
  stop: () => boolean,
  count: (n: number) => void,
): Promise<void> {
  for await (const chunk of source) {
    if (stop() || socket.destroyed) return;
    count(chunk.length);
    if (!socket.write(chunk)) await drainOrClose(socket);
  }
}
