import rateLimit from "@fastify/rate-limit";
import type { RedisClient } from "@printfab/cache";
import type { FastifyRequest, onRequestHookHandler } from "fastify";
import type { Auth } from "./auth.ts";
import type { EdgeSettings } from "./config.ts";
import { AppError } from "./errors.ts";
import type { HttpApp } from "./http-app.ts";

declare module "fastify" {
  interface FastifyContextConfig {
    /** A route that takes a 3D file: rate- and concurrency-limited per client, and the only one parsing one. */
    upload?: boolean;
  }
}

export interface UploadLimitOptions {
  edge: EdgeSettings;
  /** Verifies tokens so that a signed-in client is limited by who it is, not by its address. */
  auth?: Auth;
  /** Shared counters, so that the limit holds across instances; in process without it. */
  redis?: RedisClient;
  /** Prefix of the counters' keys in Redis. */
  namespace: string;
}

/**
 * Who a request counts against: its principal when its token is valid, otherwise its address. Services
 * (the Shop forwarding a customer's quote to MES) are exempt: the customer was counted at the Shop.
 */
function clientOf(request: FastifyRequest, auth: Auth | undefined): { key: string; exempt: boolean } {
  if (auth && request.headers.authorization) {
    try {
      const p = auth.authenticate(request.headers.authorization);
      return { key: `${p.role}:${p.sub}`, exempt: p.role === "service" };
    } catch {
      // An invalid token is refused by the route's own check; until then it counts as its address.
    }
  }
  return { key: `ip:${request.ip}`, exempt: false };
}

/**
 * In-flight uploads per client: beyond the cap a client waits for its own, not for everyone's. The hook is
 * the upload routes' own, first of their `onRequest` hooks (before authentication): other routes pay nothing.
 */
function concurrencyCap(options: UploadLimitOptions): onRequestHookHandler {
  const inFlight = new Map<string, number>();
  return (request, reply, done) => {
    const { key, exempt } = clientOf(request, options.auth);
    if (exempt) return done();
    const now = inFlight.get(key) ?? 0;
    if (now >= options.edge.uploadConcurrencyPerClient) {
      const max = options.edge.uploadConcurrencyPerClient;
      return done(new AppError(429, "too_many_uploads", `at most ${max} uploads at a time per client`, 1));
    }
    inFlight.set(key, now + 1);
    // 'close' fires once the answer is sent or the client went away, whichever comes first.
    reply.raw.once("close", () => {
      const left = (inFlight.get(key) ?? 1) - 1;
      if (left <= 0) inFlight.delete(key);
      else inFlight.set(key, left);
    });
    done();
  };
}

/**
 * Upload routes (`config.upload`) are limited per client in rate (a sliding minute, in Redis when there
 * is one, so the limit holds across instances) and in concurrency (per process). Both run in `onRequest`,
 * before authentication and before the body is read.
 */
export async function registerUploadLimits(app: HttpApp, options: UploadLimitOptions): Promise<void> {
  const cap = concurrencyCap(options);
  app.addHook("onRoute", (route) => {
    if (!route.config?.upload) return;
    route.config = { ...route.config, rateLimit: { max: options.edge.uploadRatePerMinute, timeWindow: 60_000 } };
    const own =
      route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [cap, ...own];
  });
  await app.register(rateLimit, {
    global: false,
    redis: options.redis,
    nameSpace: `${options.namespace}:rate:`,
    // Redis unreachable: the uploads go on unlimited by rate (the concurrency cap still holds).
    skipOnError: true,
    keyGenerator: (request) => clientOf(request, options.auth).key,
    allowList: (request) => clientOf(request, options.auth).exempt,
    errorResponseBuilder: (_request, context) =>
      new AppError(
        429,
        "rate_limited",
        `at most ${context.max} uploads per minute per client; retry in ${Math.ceil(context.ttl / 1000)} s`,
        Math.ceil(context.ttl / 1000),
      ),
  });
}
