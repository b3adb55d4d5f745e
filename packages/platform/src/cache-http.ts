import { createHash } from "node:crypto";
import type { CacheResult } from "@printfab/cache";
import type { FastifyReply, FastifyRequest } from "fastify";

/** RFC 9211 `Cache-Status` for what a lookup did, e.g. `shop; hit; ttl=42` or `shop; fwd=miss; stored`. */
export function cacheStatus(service: string, r: CacheResult<unknown>): string {
  const parts = [service];
  if (r.status === "hit") parts.push("hit", `ttl=${Math.max(0, Math.floor(r.ttlMs / 1000))}`);
  else if (r.status === "stale") parts.push("fwd=stale", 'detail="stale-if-error"');
  else if (r.status === "bypass") parts.push("fwd=bypass");
  else {
    parts.push("fwd=miss");
    if (r.stored) parts.push("stored");
  }
  if (r.collapsed) parts.push("collapsed");
  return parts.join("; ");
}

/** A cached representation with its entity tag, computed once when it is loaded, not on every hit. */
export interface Tagged<T> {
  etag: string;
  data: T;
}

export function tagged<T>(data: T): Tagged<T> {
  return { etag: `"${createHash("sha1").update(JSON.stringify(data)).digest("base64url")}"`, data };
}

export const PUBLIC_CACHE_CONTROL = "public, max-age=30, stale-while-revalidate=60";
export const PRIVATE_CACHE_CONTROL = "private, no-store";

/**
 * Sets Cache-Status and, for public representations, ETag and Cache-Control; answers 304 when the
 * client's If-None-Match names the same representation. Returns the body to send, or undefined after a 304.
 */
export function replyFromCache<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  service: string,
  r: CacheResult<Tagged<T>>,
): T | undefined {
  reply.header("cache-status", cacheStatus(service, r));
  reply.header("cache-control", PUBLIC_CACHE_CONTROL);
  reply.header("etag", r.value.etag);
  const inm = request.headers["if-none-match"];
  if (inm?.split(",").some((t) => t.trim().replace(/^W\//, "") === r.value.etag)) {
    reply.status(304);
    return undefined;
  }
  return r.value.data;
}

/** Headers of a customer's own data: Cache-Status, and never stored by anyone downstream. */
export function replyPrivate<T>(reply: FastifyReply, service: string, r: CacheResult<T>): T {
  reply.header("cache-status", cacheStatus(service, r));
  reply.header("cache-control", PRIVATE_CACHE_CONTROL);
  return r.value;
}
