import { request } from "node:http";
import { box, sphere, toBinaryStl } from "@printfab/mesh";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSystem, type TestSystem } from "../support/test-system.ts";

/**
 * `GET /products/:id/model` on the real parts: S3 (s3rver), Redis, PostgreSQL, with the default threshold
 * (4 MiB): a small model is cached whole, a large one streamed from S3 with ranged GETs.
 */
let sys: TestSystem;
const small = toBinaryStl(box(20, 20, 20));
// About 90,000 triangles: 4.5 MB, past the 4 MiB threshold.
const large = toBinaryStl(sphere(10, 300, 150));
const ids = { small: 0, large: 0 };

const s3 = (op: "get" | "head") => sys.metrics.value("object_store_requests_total", { op });
const download = (id: number, headers: Record<string, string> = {}, method = "GET") =>
  fetch(`${sys.urls.shop}/products/${id}/model`, { method, headers });

async function productWithModel(name: string, bytes: Buffer): Promise<number> {
  const manager = sys.token("manager");
  const up = await sys.call(`${sys.urls.shop}/models`, {
    method: "POST",
    rawBody: bytes,
    headers: { "content-type": "application/octet-stream" },
    token: manager,
  });
  expect(up.status).toBe(201);
  const created = await sys.call(`${sys.urls.shop}/products`, {
    method: "POST",
    token: manager,
    body: { name, category: "parts", material: "PETG", priceCents: 500, modelKey: up.body.modelKey },
  });
  expect(created.status).toBe(201);
  return created.body.id;
}

beforeAll(async () => {
  sys = await startTestSystem({ cache: "redis" });
  expect(large.length).toBeGreaterThan(4 * 1024 * 1024);
  ids.small = await productWithModel("Small cube", small);
  ids.large = await productWithModel("Large sphere", large);
});
afterAll(() => sys.stop());

describe("a hot small model", () => {
  it("costs at most 0.01 S3 GETs per download: 200 downloads, at most 2 GETs (the first fills the cache)", async () => {
    const before = await s3("get");
    for (let i = 0; i < 200; i++) {
      const res = await download(ids.small, i % 2 ? { range: "bytes=0-99" } : {});
      expect(res.status).toBe(i % 2 ? 206 : 200);
      const body = Buffer.from(await res.arrayBuffer());
      expect(body.equals(i % 2 ? small.subarray(0, 100) : small)).toBe(true);
    }
    const gets = (await s3("get")) - before;
    expect(gets).toBeGreaterThan(0);
    expect(gets).toBeLessThanOrEqual(2);
  });

  it("answers 304 to its ETag without touching S3", async () => {
    const { headers } = await download(ids.small);
    const [gets, heads] = [await s3("get"), await s3("head")];
    const res = await download(ids.small, { "if-none-match": headers.get("etag") as string });
    expect(res.status).toBe(304);
    expect([await s3("get"), await s3("head")]).toEqual([gets, heads]);
  });
});

describe("a large model", () => {
  it("is streamed from S3 whole or by range, one GET per download, none for HEAD", async () => {
    const n = large.length;
    const whole = await download(ids.large);
    expect([whole.status, whole.headers.get("content-length")]).toEqual([200, String(n)]);
    expect(Buffer.from(await whole.arrayBuffer()).equals(large)).toBe(true);
    const gets = await s3("get");
    const part = await download(ids.large, { range: `bytes=${n - 5000}-` });
    expect([part.status, part.headers.get("content-range")]).toEqual([206, `bytes ${n - 5000}-${n - 1}/${n}`]);
    expect(Buffer.from(await part.arrayBuffer()).equals(large.subarray(n - 5000))).toBe(true);
    const head = await download(ids.large, {}, "HEAD");
    expect([head.status, head.headers.get("content-length"), head.headers.get("accept-ranges")]).toEqual([
      200,
      String(n),
      "bytes",
    ]);
    const past = await download(ids.large, { range: `bytes=${n}-` });
    expect([past.status, past.headers.get("content-range")]).toEqual([416, `bytes */${n}`]);
    expect(await s3("get")).toBe(gets + 1);
  });

  it("survives a client that goes away mid-download, and keeps serving", async () => {
    const url = new URL(`${sys.urls.shop}/products/${ids.large}/model`);
    await new Promise<void>((resolve, reject) => {
      const req = request(url, (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.on("error", (err) => (req.destroyed ? undefined : reject(err)));
      req.end();
    });
    const again = await download(ids.large, { range: "bytes=0-9" });
    expect(Buffer.from(await again.arrayBuffer()).equals(large.subarray(0, 10))).toBe(true);
    expect((await sys.call(`${sys.urls.shop}/health`)).status).toBe(200);
  });

  it("answers 416, not 500, when the stored object was cut short behind the cached size's back", async () => {
    const { modelKey } = (await sys.call(`${sys.urls.shop}/products/${ids.large}`)).body;
    await sys.objectStore.put(modelKey, Buffer.from("short"));
    const part = await download(ids.large, { range: `bytes=${large.length - 10}-` });
    expect(part.status).toBe(416);
    expect(((await part.json()) as { error: { code: string } }).error.code).toBe("range_not_satisfiable");
    await sys.objectStore.put(modelKey, large);
  });
});

describe("refusals", () => {
  it("answers 404 for an unknown product or one without a model, 400 for a bad id", async () => {
    const bare = await sys.call(`${sys.urls.shop}/products`, {
      method: "POST",
      token: sys.token("manager"),
      body: { name: "No model", category: "parts", material: "PLA", priceCents: 1 },
    });
    for (const id of [999_999, bare.body.id]) {
      const res = await sys.call(`${sys.urls.shop}/products/${id}/model`);
      expect([res.status, res.body.error.code]).toEqual([404, "not_found"]);
    }
    expect((await sys.call(`${sys.urls.shop}/products/x/model`)).status).toBe(400);
  });
});
