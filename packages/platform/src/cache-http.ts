import { createHash } from "node:crypto";
import type { CacheResult } from "@printfab/cache";
import fastJson from "fast-json-stringify";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Static, TSchema } from "typebox";
import { Compile } from "typebox/compile";

/** RFC 9211 `Cache-Status` for what a lookup did, e.g. `shop; hit; ttl=42` or `shop; fwd=miss; stored`. */
export function cacheStatus(service: string, r: CacheResult<unknown>): string {
  // The hit, most answers' status, without building a list.
  const ttl = Math.max(0, Math.floor(r.ttlMs / 1000));
  if (r.status === "hit") return r.collapsed ? `${service}; hit; ttl=${ttl}; collapsed` : `${service}; hit; ttl=${ttl}`;
  const parts = [service];
  if (r.status === "stale") parts.push("fwd=stale", 'detail="stale-if-error"');
  else if (r.status === "bypass") parts.push("fwd=bypass");
  else {
    parts.push("fwd=miss");
    if (r.stored) parts.push("stored");
  }
  if (r.collapsed) parts.push("collapsed");
  return parts.join("; ");
}

/**
 * A cached HTTP representation as it goes on the wire: its body's bytes and its entity tag, both made once
 * when it is loaded, so that a hit costs neither a serialization nor a hash.
 */
export interface Representation {
  etag: string;
  body: Buffer;
}

/** What Fastify would have sent with a serialized object. */
export const JSON_CONTENT_TYPE = "application/json; charset=utf-8";

// An ETag is a quoted string, so it never holds a line feed: the first one ends it.
const LF = 0x0a;

/**
 * The loader's side of a cached JSON representation: serialized once by fast-json-stringify, the serializer
 * Fastify runs for a route's response schema (so the bytes are the ones Fastify would have sent: only the
 * properties the schema names, in its order), and refused when it does not match the schema. The result is
 * one Buffer, `<etag>\n<body>`: the cache stores Buffers as they are, so an L2 hit is a copy rather than a
 * JSON.parse, and `readRepresentation` splits it in place.
 */
export function representationEncoder<S extends TSchema>(schema: S): (data: Static<S>) => Buffer {
  const stringify = fastJson(schema as unknown as Parameters<typeof fastJson>[0]);
  const validator = Compile(schema);
  return (data) => {
    const body = Buffer.from(stringify(validator.Parse(data)));
    const etag = `"${createHash("sha1").update(body).digest("base64url")}"`;
    return Buffer.concat([Buffer.from(`${etag}\n`, "latin1"), body]);
  };
}

/** The representation in a value that `representationEncoder` made; its body is a view, not a copy. */
export function readRepresentation(stored: Buffer): Representation {
  const end = stored.indexOf(LF);
  if (end < 0) throw new Error("a cached representation has no ETag: it was not made by representationEncoder");
  return { etag: stored.toString("latin1", 0, end), body: stored.subarray(end + 1) };
}

/** A lookup's stored representation, read; a remembered "not found" (null) stays null. */
export function cachedRepresentation(r: CacheResult<Buffer>): CacheResult<Representation>;
export function cachedRepresentation(r: CacheResult<Buffer | null>): CacheResult<Representation | null>;
export function cachedRepresentation(r: CacheResult<Buffer | null>): CacheResult<Representation | null> {
  return { ...r, value: r.value && readRepresentation(r.value) };
}

export const PUBLIC_CACHE_CONTROL = "public, max-age=30, stale-while-revalidate=60";
export const PRIVATE_CACHE_CONTROL = "private, no-store";

/** How a cached representation is labelled: public JSON unless said otherwise. */
export interface RepresentationHeaders {
  cacheControl: string;
  contentType: string;
}

const PUBLIC_JSON: RepresentationHeaders = { cacheControl: PUBLIC_CACHE_CONTROL, contentType: JSON_CONTENT_TYPE };

/**
 * Sends a cached representation: Cache-Status, Cache-Control, ETag, then its bytes as they are (Fastify
 * serializes neither a Buffer nor the route's schema again), or a 304 when the client's If-None-Match
 * names the same representation.
 */
export function replyFromCache(
  request: FastifyRequest,
  reply: FastifyReply,
  service: string,
  r: CacheResult<Representation>,
  headers: RepresentationHeaders = PUBLIC_JSON,
): void {
  reply.header("cache-status", cacheStatus(service, r));
  reply.header("cache-control", headers.cacheControl);
  reply.header("etag", r.value.etag);
  reply.type(headers.contentType);
  const inm = request.headers["if-none-match"];
  if (inm?.split(",").some((t) => t.trim().replace(/^W\//, "") === r.value.etag)) reply.status(304).send();
  else reply.send(r.value.body);
}

/** Headers of a customer's own data: Cache-Status, and never stored by anyone downstream. */
export function replyPrivate<T>(reply: FastifyReply, service: string, r: CacheResult<T>): T {
  reply.header("cache-status", cacheStatus(service, r));
  reply.header("cache-control", PRIVATE_CACHE_CONTROL);
  return r.value;
}
