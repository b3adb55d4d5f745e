import { box, sphere, toBinaryStl, toObj } from "@printfab/mesh";
import type { Role } from "@printfab/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { downloadName } from "../src/model-file-reply.ts";
import { type CatalogueApp, startCatalogueApp } from "./support/catalogue-app.ts";

/** Below it a file is cached whole; the sphere is above it and streamed, the cube below. */
const MAX_CACHED = 4096;
const cube = toBinaryStl(box(10, 20, 30));
const ball = toBinaryStl(sphere(10, 32, 16));
const ring = Buffer.from(toObj(sphere(5, 12, 6)));

let t: CatalogueApp;
const ids = { cube: 0, ball: 0, ring: 0, bare: 0 };
const hashes = { cube: "", ball: "", ring: "" };

const get = (url: string, headers: Record<string, string> = {}, method: "GET" | "HEAD" = "GET") =>
  t.app.inject({ method, url, headers });

async function upload(bytes: Buffer): Promise<{ modelKey: string; sha256: string }> {
  const res = await t.app.inject({
    method: "POST",
    url: "/models",
    headers: { authorization: `Bearer ${t.token("manager")}`, "content-type": "application/octet-stream" },
    payload: bytes,
  });
  expect(res.statusCode).toBe(201);
  return res.json();
}

async function product(name: string, modelKey?: string): Promise<number> {
  const res = await t.app.inject({
    method: "POST",
    url: "/products",
    headers: { authorization: `Bearer ${t.token("manager")}` },
    payload: { name, category: "parts", material: "PLA", priceCents: 100, ...(modelKey ? { modelKey } : {}) },
  });
  expect(res.statusCode).toBe(201);
  return res.json().id;
}

beforeAll(async () => {
  t = await startCatalogueApp({ modelCacheMaxBytes: MAX_CACHED });
  expect(cube.length).toBeLessThan(MAX_CACHED);
  expect(ball.length).toBeGreaterThan(MAX_CACHED);
  for (const [name, bytes] of [
    ["cube", cube],
    ["ball", ball],
    ["ring", ring],
  ] as const) {
    const up = await upload(bytes);
    hashes[name] = up.sha256;
    ids[name] = await product(`The "${name}" / ünïcode\r\n; x=1`, up.modelKey);
  }
  ids.bare = await product("No model");
});
afterAll(() => t.close());

describe("GET /products/:id/model, a small file (cached whole)", () => {
  it("sends the file with its type, strong ETag, revalidation, ranges and a safe name, to anyone", async () => {
    for (const role of [undefined, "customer", "operator", "manager"] as Array<Role | undefined>) {
      const res = await get(`/products/${ids.cube}/model`, role ? { authorization: `Bearer ${t.token(role)}` } : {});
      expect(res.statusCode).toBe(200);
      expect(res.rawPayload.equals(cube)).toBe(true);
      expect(res.headers).toMatchObject({
        "content-type": "model/stl",
        "content-length": String(cube.length),
        etag: `"${hashes.cube}"`,
        "cache-control": "public, max-age=0, must-revalidate",
        "accept-ranges": "bytes",
        "content-disposition": `attachment; filename="the-cube-unicode-x-1-${ids.cube}.stl"`,
        "x-content-type-options": "nosniff",
      });
    }
    const obj = await get(`/products/${ids.ring}/model`);
    expect([obj.statusCode, obj.headers["content-type"], obj.payload]).toEqual([200, "model/obj", ring.toString()]);
  });

  it("is read from the store once, then from the cache", async () => {
    const id = await product("Fresh", (await upload(toBinaryStl(box(3, 4, 5)))).modelKey);
    await get(`/products/${id}`);
    const gets = await t.storeRequests("get");
    const first = await get(`/products/${id}/model`);
    expect(first.headers["cache-status"]).toMatch(/^shop; fwd=miss; stored/);
    for (let i = 0; i < 20; i++) expect((await get(`/products/${id}/model`)).headers["cache-status"]).toMatch(/hit/);
    expect((await t.storeRequests("get")) - gets).toBe(1);
  });

  it("answers 304 to If-None-Match with its ETag (in a list, weak, or *), 200 to another", async () => {
    const url = `/products/${ids.cube}/model`;
    for (const inm of [`"${hashes.cube}"`, `"x", W/"${hashes.cube}"`, "*"]) {
      const res = await get(url, { "if-none-match": inm });
      expect(res.statusCode, inm).toBe(304);
      expect(res.payload).toBe("");
      expect(res.headers.etag).toBe(`"${hashes.cube}"`);
    }
    expect((await get(url, { "if-none-match": `"${hashes.ball}"` })).statusCode).toBe(200);
  });

  it("serves one range as 206, and answers 416 past the end", async () => {
    const url = `/products/${ids.cube}/model`;
    const n = cube.length;
    for (const [range, start, end] of [
      ["bytes=0-83", 0, 83],
      ["bytes=84-", 84, n - 1],
      ["bytes=-50", n - 50, n - 1],
      [`bytes=100-${"9".repeat(30)}`, 100, n - 1],
    ] as const) {
      const res = await get(url, { range });
      expect(res.statusCode, range).toBe(206);
      expect(res.headers["content-range"]).toBe(`bytes ${start}-${end}/${n}`);
      expect(res.headers["content-length"]).toBe(String(end - start + 1));
      expect(res.rawPayload.equals(cube.subarray(start, end + 1)), range).toBe(true);
    }
    for (const range of [`bytes=${n}-`, "bytes=-0", `bytes=${"9".repeat(30)}-`]) {
      const res = await get(url, { range });
      expect(res.statusCode, range).toBe(416);
      expect(res.headers["content-range"]).toBe(`bytes */${n}`);
      expect(res.json().error.code).toBe("range_not_satisfiable");
    }
  });

  it("sends the whole file for several ranges, bad syntax, another unit or a stale If-Range", async () => {
    const url = `/products/${ids.cube}/model`;
    const many = `bytes=${Array.from({ length: 500 }, () => "0-").join(",")}`;
    const cases: Array<Record<string, string>> = [
      { range: "bytes=0-1,5-9" },
      { range: many },
      { range: "bytes=x-y" },
      { range: "lines=1-2" },
      { range: "bytes=0-1", "if-range": '"an-old-model"' },
      { range: "bytes=0-1", "if-range": "Wed, 21 Oct 2015 07:28:00 GMT" },
    ];
    for (const headers of cases) {
      const res = await get(url, headers);
      expect(res.statusCode, JSON.stringify(headers).slice(0, 60)).toBe(200);
      expect(res.rawPayload.equals(cube)).toBe(true);
    }
    const holds = await get(url, { range: "bytes=0-1", "if-range": `"${hashes.cube}"` });
    expect([holds.statusCode, holds.rawPayload.length]).toEqual([206, 2]);
  });

  it("answers HEAD with the headers and no body", async () => {
    const res = await get(`/products/${ids.cube}/model`, {}, "HEAD");
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-length"]).toBe(String(cube.length));
    expect(res.payload).toBe("");
    const ranged = await get(`/products/${ids.cube}/model`, { range: "bytes=0-9" }, "HEAD");
    expect([ranged.statusCode, ranged.headers["content-length"]]).toEqual([206, "10"]);
  });
});

describe("GET /products/:id/model, a large file (streamed from the store)", () => {
  it("streams the whole file, a range, and answers 416 past the end", async () => {
    const url = `/products/${ids.ball}/model`;
    const n = ball.length;
    const whole = await get(url);
    expect([whole.statusCode, whole.headers["content-length"]]).toEqual([200, String(n)]);
    expect(whole.rawPayload.equals(ball)).toBe(true);
    expect(whole.headers.etag).toBe(`"${hashes.ball}"`);
    const part = await get(url, { range: "bytes=1000-2999" });
    expect([part.statusCode, part.headers["content-range"]]).toEqual([206, `bytes 1000-2999/${n}`]);
    expect(part.rawPayload.equals(ball.subarray(1000, 3000))).toBe(true);
    const tail = await get(url, { range: "bytes=-10" });
    expect(tail.rawPayload.equals(ball.subarray(n - 10))).toBe(true);
    expect((await get(url, { range: `bytes=${n}-` })).statusCode).toBe(416);
  });

  it("costs one GET per download and no HEAD once the cache knows its size; HEAD and 304 cost none", async () => {
    const url = `/products/${ids.ball}/model`;
    await get(url);
    const [gets, heads] = [await t.storeRequests("get"), await t.storeRequests("head")];
    for (let i = 0; i < 5; i++) await get(url, { range: `bytes=${i}-${i + 99}` });
    await get(url, {}, "HEAD");
    await get(url, { "if-none-match": `"${hashes.ball}"` });
    expect((await t.storeRequests("get")) - gets).toBe(5);
    expect((await t.storeRequests("head")) - heads).toBe(0);
  });
});

describe("GET /products/:id/model, refusals", () => {
  it("answers 404 for an unknown product, one without a model and a file gone from the store; 400 for a bad id", async () => {
    for (const url of ["/products/99999/model", `/products/${ids.bare}/model`]) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.code).toBe("not_found");
    }
    for (const id of ["abc", "0", "-1", "1.5", "99999999999999999999"]) {
      expect((await get(`/products/${id}/model`)).statusCode, id).toBe(400);
    }
    const gone = await upload(toBinaryStl(box(7, 7, 7)));
    const id = await product("Vanishing", gone.modelKey);
    await t.store.delete(gone.modelKey);
    expect((await get(`/products/${id}/model`)).statusCode).toBe(404);
  });

  it("follows the product to its new model: the old ETag no longer matches", async () => {
    const id = await product("Changing", (await upload(toBinaryStl(box(1, 2, 3)))).modelKey);
    const before = await get(`/products/${id}/model`);
    const next = await upload(toBinaryStl(box(3, 2, 1.5)));
    const patch = await t.app.inject({
      method: "PATCH",
      url: `/products/${id}`,
      headers: { authorization: `Bearer ${t.token("manager")}` },
      payload: { modelKey: next.modelKey },
    });
    expect(patch.statusCode).toBe(200);
    const after = await get(`/products/${id}/model`, { "if-none-match": before.headers.etag as string });
    expect([after.statusCode, after.headers.etag]).toEqual([200, `"${next.sha256}"`]);
  });
});

describe("OpenAPI", () => {
  it("documents the route's GET and HEAD, with its ranges and errors", async () => {
    const doc = (await t.app.inject({ url: "/docs/json" })).json();
    const path = doc.paths["/products/{id}/model"];
    expect(Object.keys(path).sort()).toEqual(["get", "head"]);
    expect(Object.keys(path.get.responses).sort()).toEqual(["200", "206", "304", "400", "404", "416", "503"]);
  });
});

describe("downloadName", () => {
  it("keeps plain ASCII only, within bounds, and falls back on the id", () => {
    expect(downloadName({ productId: 7, productName: "Spur Gear (M2)", format: "3mf" })).toBe("spur-gear-m2-7.3mf");
    expect(downloadName({ productId: 8, productName: '../"\\\u0000', format: null })).toBe("model-8.bin");
    expect(downloadName({ productId: 9, productName: "x".repeat(500), format: "stl" })).toHaveLength(60 + 6);
  });
});
