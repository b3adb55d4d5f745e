import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { startTestS3, type TestS3 } from "@printfab/testkit";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFilesystemStore } from "../src/filesystem-store.ts";
import { objectStoreRequests } from "../src/metrics.ts";
import {
  assertValidKey,
  InvalidObjectKeyError,
  type ObjectStore,
  RangeNotSatisfiableError,
} from "../src/object-store.ts";
import { createS3Store } from "../src/s3-store.ts";

// One registry for both stores: the counter is shared, as in a process.
const registry = new Registry();
const countRequest = objectStoreRequests(registry);
const requests = async (op: string) =>
  (await registry.getSingleMetric("object_store_requests_total")?.get())?.values.find((v) => v.labels.op === op)
    ?.value ?? 0;

let s3: TestS3;
let dir: string;
beforeAll(async () => {
  s3 = await startTestS3("store-test");
  dir = await mkdtemp(join(tmpdir(), "printfab-fs-"));
});
afterAll(async () => {
  await s3.stop();
  await rm(dir, { recursive: true, force: true });
});

async function readStream(stream: Readable | null): Promise<Buffer> {
  if (!stream) throw new Error("no such object");
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

// One contract, two implementations: the S3 one against a real S3 API (s3rver), the folder one on disk.
describe.each([
  ["s3", () => createS3Store({ ...s3, countRequest })],
  ["filesystem", () => createFilesystemStore(join(dir, "objects"), countRequest)],
] as const)("%s object store", (kind, make) => {
  let store: ObjectStore;
  beforeAll(async () => {
    store = make();
    await store.ensureReady();
    await store.ensureReady();
  });

  it("puts, heads, gets and deletes an object", async () => {
    const body = Buffer.from("solid cube\nendsolid cube\n");
    await store.put("models/cube.stl", body, { contentType: "model/stl" });
    expect((await store.head("models/cube.stl"))?.size).toBe(body.length);
    expect(await store.get("models/cube.stl")).toEqual(body);
    await store.delete("models/cube.stl");
    expect(await store.get("models/cube.stl")).toBeNull();
    expect(await store.head("models/cube.stl")).toBeNull();
    await store.delete("models/cube.stl");
    expect(store.kind).toBe(kind);
  });

  it("answers null for a missing object", async () => {
    expect(await store.get("nope/missing.bin")).toBeNull();
    expect(await store.getStream("nope/missing.bin")).toBeNull();
  });

  it("streams a large object in and out without changing a byte", async () => {
    const size = 8 * 1024 * 1024 + 13;
    const big = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4096) big[i] = (i / 4096) % 251;
    await store.put("large/blob.bin", Readable.from([big.subarray(0, size / 2), big.subarray(size / 2)]), {
      contentLength: size,
    });
    const stream = await store.getStream("large/blob.bin");
    expect(stream).not.toBeNull();
    const chunks: Buffer[] = [];
    for await (const c of stream as Readable) chunks.push(c as Buffer);
    expect(chunks.length).toBeGreaterThan(1);
    expect(Buffer.concat(chunks).equals(big)).toBe(true);
  });

  it("streams a range of an object, cut at its end, in one GET", async () => {
    const body = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256));
    await store.put("ranges/r.bin", body);
    const gets = await requests("get");
    expect(await readStream(await store.getStream("ranges/r.bin", { start: 10, end: 19 }))).toEqual(
      body.subarray(10, 20),
    );
    expect(await readStream(await store.getStream("ranges/r.bin", { start: 999, end: 999 }))).toEqual(
      body.subarray(999),
    );
    expect(await readStream(await store.getStream("ranges/r.bin", { start: 900, end: 10 ** 12 }))).toEqual(
      body.subarray(900),
    );
    expect(await requests("get")).toBe(gets + 3);
    expect(await store.getStream("ranges/missing.bin", { start: 0, end: 1 })).toBeNull();
  });

  it("streams a large range in pieces, without reading the object whole", async () => {
    const size = 6 * 1024 * 1024;
    const big = Buffer.alloc(size);
    for (let i = 0; i < size; i += 997) big[i] = (i / 997) % 253;
    await store.put("ranges/big.bin", big);
    const chunks: Buffer[] = [];
    for await (const c of (await store.getStream("ranges/big.bin", { start: 1, end: size - 2 })) as Readable)
      chunks.push(c as Buffer);
    expect(chunks.length).toBeGreaterThan(1);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThan(size / 2);
    expect(Buffer.concat(chunks).equals(big.subarray(1, size - 1))).toBe(true);
  });

  it("refuses a range past the end as unsatisfiable and a malformed one as a bug", async () => {
    await store.put("ranges/s.bin", Buffer.from("0123456789"));
    for (const range of [
      { start: 10, end: 10 },
      { start: 10 ** 12, end: 10 ** 12 + 5 },
    ]) {
      await expect(store.getStream("ranges/s.bin", range)).rejects.toBeInstanceOf(RangeNotSatisfiableError);
    }
    for (const range of [
      { start: -1, end: 3 },
      { start: 5, end: 4 },
      { start: 0.5, end: 4 },
      { start: 0, end: Number.POSITIVE_INFINITY },
    ]) {
      await expect(store.getStream("ranges/s.bin", range)).rejects.toBeInstanceOf(RangeError);
    }
    // The store still answers after those (no file handle or socket left behind).
    expect(await readStream(await store.getStream("ranges/s.bin", { start: 8, end: 9 }))).toEqual(Buffer.from("89"));
  });

  it("counts each request in object_store_requests_total{op}", async () => {
    const [gets, puts, heads, deletes] = await Promise.all(["get", "put", "head", "delete"].map(requests));
    await store.put("m/x", Buffer.from("x"));
    await store.get("m/x");
    await store.head("m/x");
    await store.delete("m/x");
    expect(await requests("get")).toBe((gets as number) + 1);
    expect(await requests("put")).toBe((puts as number) + 1);
    expect(await requests("head")).toBe((heads as number) + 1);
    expect(await requests("delete")).toBe((deletes as number) + 1);
  });

  it("refuses keys that could escape or confuse the store", async () => {
    for (const key of ["../etc/passwd", "/abs", "a//b", "a/./b", "", "sp ace", "x".repeat(513)]) {
      await expect(store.get(key)).rejects.toBeInstanceOf(InvalidObjectKeyError);
    }
  });

  it("checks that it is reachable", async () => {
    await expect(store.check()).resolves.toBeUndefined();
  });
});

describe("assertValidKey", () => {
  it("accepts ordinary keys", () => {
    expect(() => assertValidKey("models/ab/cd/0123abc.stl")).not.toThrow();
    expect(() => assertValidKey("..")).toThrow(InvalidObjectKeyError);
  });
});

describe("S3 store failures", () => {
  it("fails check() when the server is unreachable", async () => {
    const store = createS3Store({ ...s3, endpoint: "http://127.0.0.1:1", requestTimeoutMs: 500 });
    await expect(store.check()).rejects.toThrow();
  });
});
