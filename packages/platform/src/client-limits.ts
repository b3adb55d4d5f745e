import { type Server, STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import underPressure from "@fastify/under-pressure";
import type { FastifyHttpOptions } from "fastify";
import type { EdgeSettings } from "./config.ts";
import { AppError, type ErrorBody } from "./errors.ts";
import type { HttpApp } from "./http-app.ts";

/** Limits for tests and callers that set none: the production defaults of the configuration. */
export const DEFAULT_EDGE: EdgeSettings = {
  requestTimeoutMs: 60_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1_000,
  maxEventLoopDelayMs: 1_000,
  trustProxy: undefined,
  adminToken: undefined,
  uploadRatePerMinute: 30,
  uploadConcurrencyPerClient: 2,
  sessions: { secureCookie: true, demo: false },
};

/** Seconds a client is told to wait when the service itself is overloaded or stopping. */
const RETRY_AFTER_S = 1;

const rawError = (status: number, code: string, message: string) => {
  const body = JSON.stringify({ error: { code, message } } satisfies ErrorBody);
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
};

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (a slow or oversized header block, a
 * request past its deadline, bytes that are not HTTP), answered in our error shape and then closed.
 */
function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  let reply: string;
  if (err.code === "ERR_HTTP_REQUEST_TIMEOUT") {
    reply = rawError(408, "request_timeout", "the request was not received in time");
  } else if (err.code === "HPE_HEADER_OVERFLOW") {
    reply = rawError(431, "headers_too_large", "the request's headers are too large");
  } else {
    reply = rawError(400, "bad_request", "malformed HTTP request");
  }
  if (socket.writable) socket.write(reply);
  socket.destroy();
}

/**
 * Fastify's server options for the client deadlines. Node checks request deadlines only every
 * `connectionsCheckingInterval` (30 s by default), so it is tied to the shortest deadline here.
 */
type ServerOptions = Pick<
  FastifyHttpOptions<Server>,
  | "requestTimeout"
  | "keepAliveTimeout"
  | "connectionTimeout"
  | "http"
  | "trustProxy"
  | "clientErrorHandler"
  | "return503OnClosing"
>;

export function serverOptions(edge: EdgeSettings): ServerOptions {
  const checkEveryMs = Math.max(
    50,
    Math.min(1000, Math.floor(Math.min(edge.requestTimeoutMs, edge.headersTimeoutMs) / 4)),
  );
  return {
    requestTimeout: edge.requestTimeoutMs,
    keepAliveTimeout: edge.keepAliveTimeoutMs,
    // A socket that sends nothing at all for this long is closed even between requests.
    connectionTimeout: Math.max(edge.requestTimeoutMs, edge.keepAliveTimeoutMs) + 1000,
    http: {
      headersTimeout: Math.min(edge.headersTimeoutMs, edge.requestTimeoutMs),
      connectionsCheckingInterval: checkEveryMs,
    },
    trustProxy: edge.trustProxy ?? false,
    clientErrorHandler,
    return503OnClosing: false,
  };
}

/**
 * The connection cap, the event-loop guard, a 503 in our shape while the service is stopping, and
 * `app.drain(ms)`: before stopping, a grace period in which every answer closes its connection, so that
 * busy keep-alive clients move elsewhere between requests rather than having a socket closed under them.
 */
export async function registerServerGuards(app: HttpApp, edge: EdgeSettings): Promise<void> {
  app.addHook("onListen", async () => {
    app.server.maxConnections = edge.maxConnections;
  });
  let closing = false;
  let draining = false;
  app.decorate("drain", async (graceMs: number) => {
    draining = true;
    await new Promise((resolve) => setTimeout(resolve, graceMs));
  });
  app.addHook("preClose", async () => {
    closing = true;
  });
  // Callback hooks, not async ones: every request passes them, and a promise each is measurable.
  app.addHook("onRequest", (_request, reply, done) => {
    if (!closing) return done();
    reply.header("connection", "close");
    done(new AppError(503, "shutting_down", "the service is stopping; retry on another instance", RETRY_AFTER_S));
  });
  // An answer finished while draining or stopping tells its keep-alive client not to send another on this
  // connection, which Node then closes cleanly: the client reconnects elsewhere instead of being reset.
  app.addHook("onSend", (_request, reply, payload, done) => {
    if (draining || closing) reply.header("connection", "close");
    done(null, payload);
  });
  if (edge.maxEventLoopDelayMs > 0) {
    await app.register(underPressure, {
      maxEventLoopDelay: edge.maxEventLoopDelayMs,
      retryAfter: RETRY_AFTER_S,
      pressureHandler: (_request, reply) => {
        reply
          .status(503)
          .header("retry-after", String(RETRY_AFTER_S))
          .send({ error: { code: "overloaded", message: "the service is overloaded; retry shortly" } });
      },
    });
  }
}
