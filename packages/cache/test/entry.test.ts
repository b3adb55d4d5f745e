import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeEntry, encodeEntry, jitteredTtl, KIND_BINARY, shouldRefreshEarly, tagsCurrent } from "../src/entry.ts";

const meta = {
  kind: KIND_BINARY,
  freshUntil: 1000.5,
  staleUntil: 2000,
  loadMs: 12,
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

  it("checks tags against current versions", () => {
    expect(tagsCurrent(meta, new Map([["products", 3]]))).toBe(true);
    expect(tagsCurrent(meta, new Map([["products", 4]]))).toBe(false);
    expect(
      tagsCurrent(
        meta,
        new Map([
          ["products", 3],
          ["cat:x", 1],
        ]),
      ),
    ).toBe(false);
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
