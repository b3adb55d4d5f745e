import type { CacheResult } from "@printfab/cache";
import type { FastifyReply, FastifyRequest } from "fastify";
import { Type } from "typebox";
import { cacheStatus, type Representation, replyFromCache } from "./cache-http.ts";
import { notFound } from "./errors.ts";

/** The 304 answer of a conditional GET, in OpenAPI. */
export const NotModified = Type.Null({ description: "not modified: the If-None-Match ETag is current" });

/** A content-addressed representation never changes, so anyone may keep it for a day. */
export const IMMUTABLE_CACHE_CONTROL = "public, max-age=86400";

/** The result of a lookup that found something; a 404 naming `what` when it found nothing. */
export function orNotFound<T>(r: CacheResult<T | null>, what: string): CacheResult<T> {
  if (r.value === null || r.value === undefined) throw notFound(what);
  return { ...r, value: r.value };
}

/**
 * A content-addressed representation (its ETag names the content): sent as `replyFromCache` sends one,
 * but kept downstream for a day rather than seconds, since it can never change.
 */
export function replyImmutable(
  request: FastifyRequest,
  reply: FastifyReply,
  service: string,
  r: CacheResult<Representation>,
  contentType: string,
): void {
  replyFromCache(request, reply, service, r, { cacheControl: IMMUTABLE_CACHE_CONTROL, contentType });
}

/** A computed answer to a POST (an analysis, a quote): its Cache-Status only, as nobody downstream stores it. */
export function replyComputed<T>(reply: FastifyReply, service: string, r: CacheResult<T>): T {
  reply.header("cache-status", cacheStatus(service, r));
  return r.value;
}
