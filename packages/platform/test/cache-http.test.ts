import type { CacheResult } from "@printfab/cache";
import { type Static, Type } from "typebox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cachedRepresentation,
  cacheStatus,
  JSON_CONTENT_TYPE,
  PRIVATE_CACHE_CONTROL,
  PUBLIC_CACHE_CONTROL,
  readRepresentation,
  replyFromCache,
  replyPrivate,
  representationEncoder,
} from "../src/cache-http.ts";
import { IMMUTABLE_CACHE_CONTROL, orNotFound, replyComputed, replyImmutable } from "../src/cache-replies.ts";
import { createHttpApp, type HttpApp } from "../src/http-app.ts";
import { createLogger } from "../src/logger.ts";

/** A schema with what the catalogue's have: an intersection, a nullable object, arrays, a tuple, a date-time. */
const ThingSchema = Type.Intersect([
  Type.Object({ id: Type.Integer(), name: Type.String(), at: Type.String({ format: "date-time" }) }),
  Type.Object({
    part: Type.Union([Type.Object({ mm: Type.Array(Type.Number()) }), Type.Null()]),
    pair: Type.Tuple([Type.Object({ n: Type.Integer() }), Type.Array(Type.Object({ s: Type.String() }))]),
  }),
]);
type Thing = Static<typeof ThingSchema>;
const pair: Thing["pair"] = [{ n: 1 }, [{ s: "a" }]];
const thing: Thing = { id: 1, name: "gear", at: "2025-01-02T03:04:05.000Z", part: { mm: [1, 2.5] }, pair };

const result = <T>(value: T, over: Partial<CacheResult<T>> = {}): CacheResult<T> => ({
  value,
  status: "hit",
  collapsed: false,
  stored: false,
  ttlMs: 42_500,
  ...over,
});

let app: HttpApp;
const encodeThing = representationEncoder(ThingSchema);
const cached = readRepresentation(encodeThing(thing));

beforeAll(async () => {
  app = await createHttpApp({ service: "probe", description: "test", logger: createLogger("silent") });
  // What Fastify itself sends for a value under the schema: the reference the stored bytes must equal.
  app.post("/serialized", { schema: { response: { 200: ThingSchema } } }, async (request) => request.body as Thing);
  app.get("/public", async (request, reply) => replyFromCache(request, reply, "probe", result(cached)));
  app.get("/immutable", async (request, reply) =>
    replyImmutable(request, reply, "probe", result({ etag: '"abc-96"', body: Buffer.from([1, 2, 3]) }), "image/png"),
  );
  app.get("/private", async (_request, reply) => replyPrivate(reply, "probe", result({ mine: true })));
  app.get("/computed", async (_request, reply) => replyComputed(reply, "probe", result({ quote: 3 })));
});
afterAll(() => app.close());

describe("cacheStatus", () => {
  it("names a hit with its TTL, a miss and whether it was stored, stale, bypass and collapsed", () => {
    expect(cacheStatus("shop", result(1))).toBe("shop; hit; ttl=42");
    expect(cacheStatus("shop", result(1, { status: "miss", stored: true, collapsed: true }))).toBe(
      "shop; fwd=miss; stored; collapsed",
    );
    expect(cacheStatus("shop", result(1, { status: "miss" }))).toBe("shop; fwd=miss");
    expect(cacheStatus("shop", result(1, { status: "stale" }))).toBe('shop; fwd=stale; detail="stale-if-error"');
    expect(cacheStatus("shop", result(1, { status: "bypass" }))).toBe("shop; fwd=bypass");
  });
});

describe("representationEncoder and readRepresentation", () => {
  it("stores the bytes Fastify's response serializer sends for the schema, extra properties dropped", async () => {
    const withX = { n: 1, x: 0 };
    const withY = { s: "a", y: 0 };
    const extraPair: Thing["pair"] = [withX, [withY]];
    const extra = { ...thing, secret: "x", part: { mm: [1, 2.5], internal: true }, pair: extraPair };
    const reference = await app.inject({ method: "POST", url: "/serialized", payload: extra });
    const stored = encodeThing(extra);
    const { etag, body } = readRepresentation(stored);
    expect(body.toString()).toBe(reference.body);
    expect(JSON.parse(body.toString())).toEqual(thing);
    expect(stored.toString()).toBe(`${etag}\n${reference.body}`);
    // Keys in the schema's order, whatever the value's, as the serializer writes them.
    const shuffled = { pair, part: { mm: [1, 2.5] }, name: "gear", at: thing.at, id: 1 };
    expect(readRepresentation(encodeThing(shuffled)).body.toString()).toBe(reference.body);
    expect(etag).toMatch(/^"[\w-]{27}"$/);
    // The caller's object (another cache's L1 value, maybe) is left as it was.
    expect(extra.part).toEqual({ mm: [1, 2.5], internal: true });
  });

  it("gives the same value the same ETag, another value another, and null a null part", () => {
    expect(readRepresentation(encodeThing({ ...thing })).etag).toBe(cached.etag);
    expect(readRepresentation(encodeThing({ ...thing, name: "cog" })).etag).not.toBe(cached.etag);
    const none = readRepresentation(encodeThing({ ...thing, part: null }));
    expect(JSON.parse(none.body.toString())).toEqual({ ...thing, part: null });
  });

  it("refuses a value its schema does not describe", () => {
    expect(() => encodeThing({ ...thing, id: 1.5 })).toThrow();
    expect(() => encodeThing({ id: 1, name: "gear" } as Thing)).toThrow();
  });

  it("reads the body in place, and refuses bytes that carry no ETag", () => {
    const stored = encodeThing(thing);
    expect(readRepresentation(stored).body.buffer).toBe(stored.buffer);
    expect(() => readRepresentation(Buffer.from('{"id":1}'))).toThrow(/no ETag/);
  });

  it("cachedRepresentation reads a lookup's value and keeps its status; null stays null", () => {
    const stored = encodeThing(thing);
    const r = cachedRepresentation(result(stored, { status: "miss", stored: true }));
    expect([r.status, r.stored, r.value.etag]).toEqual(["miss", true, cached.etag]);
    expect(cachedRepresentation(result<Buffer | null>(null)).value).toBeNull();
  });
});

describe("replyFromCache and replyImmutable", () => {
  it("send the stored bytes with their ETag, Cache-Status, Cache-Control and content type", async () => {
    const res = await app.inject({ url: "/public" });
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.equals(cached.body)).toBe(true);
    expect(res.headers).toMatchObject({
      etag: cached.etag,
      "cache-status": "probe; hit; ttl=42",
      "cache-control": PUBLIC_CACHE_CONTROL,
      "content-type": JSON_CONTENT_TYPE,
      "content-length": String(cached.body.length),
    });
    const png = await app.inject({ url: "/immutable" });
    expect([...png.rawPayload]).toEqual([1, 2, 3]);
    expect(png.headers).toMatchObject({ etag: '"abc-96"', "cache-control": IMMUTABLE_CACHE_CONTROL });
    expect(png.headers["content-type"]).toBe("image/png");
  });

  it("answer 304 with no body when If-None-Match names the representation, weak or in a list", async () => {
    for (const inm of [cached.etag, `W/${cached.etag}`, `"other", ${cached.etag}`]) {
      const res = await app.inject({ url: "/public", headers: { "if-none-match": inm } });
      expect([res.statusCode, res.body, res.headers.etag], inm).toEqual([304, "", cached.etag]);
    }
    const stale = await app.inject({ url: "/public", headers: { "if-none-match": '"other"' } });
    expect(stale.statusCode).toBe(200);
    const png = await app.inject({ url: "/immutable", headers: { "if-none-match": '"abc-96"' } });
    expect(png.statusCode).toBe(304);
  });
});

describe("replyPrivate, replyComputed and orNotFound", () => {
  it("label a customer's data private and a computed answer with its Cache-Status only", async () => {
    const mine = await app.inject({ url: "/private" });
    expect([mine.json(), mine.headers["cache-control"]]).toEqual([{ mine: true }, PRIVATE_CACHE_CONTROL]);
    const computed = await app.inject({ url: "/computed" });
    expect([computed.json(), computed.headers["cache-status"]]).toEqual([{ quote: 3 }, "probe; hit; ttl=42"]);
    expect(computed.headers["cache-control"]).toBeUndefined();
  });

  it("orNotFound passes a found value on and makes nothing a 404 naming what was looked for", () => {
    expect(orNotFound(result<number | null>(7), "thing 7").value).toBe(7);
    expect(() => orNotFound(result<number | null>(null), "thing 8")).toThrow(
      expect.objectContaining({ statusCode: 404, message: "thing 8 not found" }),
    );
  });
});
