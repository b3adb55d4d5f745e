import cookie from "@fastify/cookie";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyInstance, type FastifyRequest, LogController } from "fastify";
import { type AdminAccess, adminAccess } from "./admin-access.ts";
import type { Auth, Principal } from "./auth.ts";
import type { CacheFactory } from "./cache-factory.ts";
import { DEFAULT_EDGE, registerServerGuards, serverOptions } from "./client-limits.ts";
import type { EdgeSettings } from "./config.ts";
import { AppError, toErrorResponse } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { PlatformMetrics } from "./metrics.ts";
import { opsStatsRoute } from "./ops-stats.ts";
import { type PageRoutes, pageRoutes } from "./page-routes.ts";
import { sessionCookieName } from "./request-auth.ts";
import { sessionRoutes } from "./session-routes.ts";
import { tracingActive } from "./tracing.ts";
import { traceRequests } from "./tracing-http.ts";
import { registerUploadLimits } from "./upload-limits.ts";
import { makeAjv } from "./validation.ts";

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyInstance {
    /** Who may see operators' details (/metrics, /docs, /health's errors). */
    admin: AdminAccess;
    /** Answers with `Connection: close` for `graceMs` (then `close()` the app): a stop without resets. */
    drain(graceMs: number): Promise<void>;
  }
}

export type HttpApp = FastifyInstance<
  import("node:http").Server,
  import("node:http").IncomingMessage,
  import("node:http").ServerResponse,
  Logger,
  TypeBoxTypeProvider
>;

export interface HttpAppOptions {
  service: string;
  version?: string;
  description: string;
  logger: Logger;
  /** The largest JSON body; upload routes set their own, larger limit. */
  jsonBodyLimitBytes?: number;
  /** Client deadlines and limits; the configuration's defaults when absent. */
  edge?: EdgeSettings;
  /** Lets the upload limits count a signed-in client by its principal rather than its address. */
  auth?: Auth;
  /** The process's metrics (request durations here, and /metrics serves its registry); its own when absent. */
  metrics?: PlatformMetrics;
  /** Its Redis connection (if any) shares the upload rate counters between instances; /ops shows its state. */
  caches?: Pick<CacheFactory, "redis" | "namespace"> & Partial<Pick<CacheFactory, "kind" | "health">>;
  /** The pages this service serves (path -> page of the front end's build), with their assets. */
  pages?: PageRoutes;
}

/**
 * A Fastify instance with what every Printfab service shares: schema validation (bodies strictly typed,
 * query strings and params coerced from text), the JSON error format, OpenAPI at /docs, the request
 * duration histogram and /metrics. Health is added by `registerHealth`.
 */
export async function createHttpApp(options: HttpAppOptions): Promise<HttpApp> {
  const edge = options.edge ?? DEFAULT_EDGE;
  const metrics = options.metrics ?? new PlatformMetrics();
  const app = Fastify({
    ...serverOptions(edge),
    loggerInstance: options.logger.child({ service: options.service }),
    bodyLimit: options.jsonBodyLimitBytes ?? 1024 * 1024,
    // One line per request would drown the logs under load; failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request (pino serializes its bindings each time, on every hit): the only
    // request logs are the error handler's, which name the request themselves.
    childLoggerFactory: (logger) => logger,
    forceCloseConnections: "idle",
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.decorate("admin", adminAccess(edge.adminToken));

  // Our APIs speak JSON; any other body is a 415 rather than a string that fails validation.
  app.removeContentTypeParser("text/plain");

  const strict = makeAjv(false);
  const coercing = makeAjv("array");
  app.setValidatorCompiler(({ schema, httpPart }) => {
    // Raw uploads (a 3D file) are checked by their parser, not by JSON Schema.
    if (httpPart === "body" && (schema as { format?: string }).format === "binary") return () => true;
    return httpPart === "body" ? strict.compile(schema) : coercing.compile(schema);
  });

  app.setErrorHandler((err, request, reply) => {
    const { statusCode, body, headers } = toErrorResponse(err);
    // Refused before its body was read (an anonymous upload): close rather than drain megabytes for nothing.
    if (!request.raw.complete) reply.header("connection", "close");
    // A dependency's outage is worth a warning with the driver's text (which the client never sees).
    const reqId = request.id;
    if (statusCode === 503) request.log.warn({ reqId, err, cause: (err as Error).cause }, "answered 503");
    else if (statusCode >= 500) request.log.error({ reqId, err }, "request failed");
    else request.log.debug({ reqId, code: body.error.code, msg: body.error.message }, "request rejected");
    reply.headers(headers).status(statusCode).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ error: { code: "not_found", message: `no route ${request.method} ${request.url}` } });
  });

  // Only a process that traces pays for these hooks; first, so that a request the guards refuse has a span too.
  if (tracingActive()) traceRequests(app, options.service);
  await registerServerGuards(app, edge);
  await registerUploadLimits(app, {
    edge,
    auth: options.auth,
    redis: options.caches?.redis,
    namespace: `${options.caches?.namespace ?? "pf"}:${options.service}`,
  });

  // One histogram child per route, method and status (a bounded set: route patterns, not URLs), looked up
  // by a string rather than made from a label object on every request.
  const durations = new Map<string, { observe(seconds: number): void }>();
  app.addHook("onResponse", (request, reply, done) => {
    const route = request.routeOptions.url ?? "unmatched";
    const id = `${request.method} ${route} ${reply.statusCode}`;
    let child = durations.get(id);
    if (!child) {
      const labels = { service: options.service, method: request.method, route, status: String(reply.statusCode) };
      child = metrics.httpRequestDuration.labels(labels);
      durations.set(id, child);
    }
    child.observe(reply.elapsedTime / 1000);
    done();
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: `Printfab ${options.service} API`,
        version: options.version ?? "0.1.0",
        description: options.description,
      },
      components: { securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: "/docs", uiHooks: { onRequest: app.admin.guard } });

  app.get("/metrics", { schema: { hide: true }, onRequest: app.admin.guard }, async (_request, reply) => {
    reply.header("content-type", metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  app.decorate("sessionCookie", sessionCookieName(options.service));
  await app.register(cookie);
  const typed = app as unknown as HttpApp;
  if (options.auth) {
    await typed.register(sessionRoutes, { auth: options.auth, settings: edge.sessions });
    await typed.register(opsStatsRoute, {
      service: options.service,
      auth: options.auth,
      metrics,
      caches: options.caches,
    });
  }
  if (options.pages) await typed.register(pageRoutes, { pages: options.pages });
  return typed;
}

/** The principal a `requireRole` preHandler set; calling it on a public route is a programming error. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error("route has no requireRole hook");
  return request.principal;
}

/** The content types a 3D file may be uploaded as; the body arrives as a Buffer. */
export const MODEL_CONTENT_TYPES = [
  "application/octet-stream",
  "model/stl",
  "model/x.stl-binary",
  "model/x.stl-ascii",
  "application/sla",
  "application/vnd.ms-pki.stl",
  "model/obj",
  "model/3mf",
  "application/vnd.ms-package.3dmanufacturing-3dmodel+xml",
];

/**
 * Accepts raw 3D files on the upload routes (`config.upload`, with a larger `bodyLimit`; over it is a 413).
 * Any other route answers such a body with 415, as it would any type it does not speak.
 */
export function acceptModelUploads(app: HttpApp): void {
  app.addContentTypeParser(MODEL_CONTENT_TYPES, { parseAs: "buffer" }, (request, body, done) => {
    if (request.routeOptions.config.upload) done(null, body);
    else done(new AppError(415, "unsupported_media_type", "this route takes application/json"), undefined);
  });
}

/** OpenAPI marker for routes that need a bearer token. */
export const bearer = [{ bearerAuth: [] }];
