import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildEntry,
  decodeEntry,
  decodeValue,
  encodeEntry,
  entryCurrent,
  jitteredTtl,
  KIND_BINARY,
  KIND_NOT_FOUND,
  KIND_SERIALIZED,
  shouldRefreshEarly,
} from "../src/entry.ts";
import { jsonSerializer } from "../src/serializer.ts";

const meta = {
  kind: KIND_BINARY,
  freshUntil: 1000.5,
  staleUntil: 2000,
  loadMs: 12,
  generation: 7,
  tags: ["products", "cat:x"],
  tagVersions: [3, 0],
};

describe("entry encoding", () => {
  it("round-trips meta and body", () => {
    const body = Buffer.from([1, 2, 3, 255]);
    const decoded = decodeEntry(encodeEntry(meta, body));
    expect(decoded?.meta).toEqual(meta);
    expect(decoded?.body.equals(body)).toBe(true);
    expect(decodeEntry(encodeEntry({ ...meta, tags: [], tagVersions: [] }, Buffer.alloc(0)))?.meta.tags).toEqual([]);
  });

  it("reads any bytes as an entry or as a miss, never throwing", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const d = decodeEntry(Buffer.from(bytes));
        expect(d === null || typeof d.meta.freshUntil === "number").toBe(true);
      }),
    );
    expect(decodeEntry(Buffer.from("plain text that is not ours"))).toBeNull();
  });

  it("reads an entry of the format before generations as a miss", () => {
    const v2 = encodeEntry(meta, Buffer.from("x"));
    v2.writeUInt8(1, 0);
    expect(decodeEntry(v2)).toBeNull();
  });

  it("judges an entry by its generation and its tags' versions", () => {
    expect(entryCurrent(meta, 7, [3, 0])).toBe(true);
    expect(entryCurrent(meta, 8, [3, 0])).toBe(false);
    expect(entryCurrent(meta, 7, [4, 0])).toBe(false);
    expect(entryCurrent(meta, 7, [3, 1])).toBe(false);
    expect(entryCurrent({ ...meta, tags: [], tagVersions: [] }, 7, [])).toBe(true);
  });

  it("builds entries of each kind, and decodes their values back", () => {
    const times = { ttl: 1000, staleWindow: 500, negativeTtl: 100, jitter: 0, tags: ["t"] };
    const at = { now: 10_000, random: 0.5, loadMs: 3, generation: 2, tagVersions: [5] };
    const json = buildEntry({ a: 1 }, times, at, jsonSerializer);
    expect(json.meta).toMatchObject({ kind: KIND_SERIALIZED, freshUntil: 11_000, staleUntil: 11_500, generation: 2 });
    expect(decodeValue(json.meta.kind, json.body, jsonSerializer)).toEqual({ a: 1 });
    const missing = buildEntry(undefined, times, at, jsonSerializer);
    expect(missing).toMatchObject({
      value: null,
      meta: { kind: KIND_NOT_FOUND, freshUntil: 10_100, staleUntil: 10_100 },
    });
    expect(decodeValue(KIND_NOT_FOUND, missing.body, jsonSerializer)).toBeNull();
    const bytes = Buffer.from([1, 2, 3]);
    const bin = buildEntry(bytes, times, at, jsonSerializer);
    const back = decodeValue(bin.meta.kind, bin.body, jsonSerializer) as Buffer;
    expect(bin.meta.kind).toBe(KIND_BINARY);
    expect(back.equals(bytes) && back !== bytes).toBe(true);
  });
});

describe("refresh-ahead (XFetch) and jitter", () => {
  it("refreshes more likely as expiry nears and never when off", () => {
    const m = { freshUntil: 10_000, loadMs: 100 };
    expect(shouldRefreshEarly(m, 5_000, 1, 0.5)).toBe(false);
    expect(shouldRefreshEarly(m, 9_990, 1, 0.5)).toBe(true);
    expect(shouldRefreshEarly(m, 9_990, 0, 0.5)).toBe(false);
    const rate = (now: number) => {
      let n = 0;
      for (let i = 1; i <= 1000; i++) n += shouldRefreshEarly(m, now, 1, i / 1001) ? 1 : 0;
      return n;
    };
    expect(rate(9_950)).toBeGreaterThan(rate(9_800));
    expect(rate(9_800)).toBeGreaterThan(rate(9_500));
  });

  it("keeps jittered TTLs within ±fraction", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e7 }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (ttl, f, r) => {
          const t = jitteredTtl(ttl, f, r);
          expect(t).toBeGreaterThanOrEqual(Math.max(1, Math.floor(ttl * (1 - f))));
          expect(t).toBeLessThanOrEqual(Math.ceil(ttl * (1 + f)));
        },
      ),
    );
    expect(jitteredTtl(1000, 0, 0.9)).toBe(1000);
  });
});
