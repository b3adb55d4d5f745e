import { seed } from "@printfab/launcher";
import { box, sphere, toBinaryStl } from "@printfab/mesh";
import { strToU8, zipSync } from "fflate";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSystem, type TestSystem } from "../support/test-system.ts";

let sys: TestSystem;
const cube = toBinaryStl(box(20, 20, 20));
const octet = { "content-type": "application/octet-stream" };

const post = (
  url: string,
  body: Buffer | Uint8Array | string,
  opts: { token?: string; headers?: Record<string, string> } = {},
) =>
  sys.call(url, {
    method: "POST",
    rawBody: Buffer.from(body),
    headers: { ...octet, ...opts.headers },
    token: opts.token,
  });

/** Every malformed-file case of the issue, each refused with 422 and a reason. */
function malformed(): Array<[string, Buffer | Uint8Array, RegExp]> {
  const truncated = cube.subarray(0, cube.length - 7);
  const wrongCount = Buffer.from(cube);
  wrongCount.writeUInt32LE(1000, 80);
  const nan = Buffer.from(cube);
  nan.writeFloatLE(Number.NaN, 96);
  const inf = Buffer.from(cube);
  inf.writeFloatLE(Number.NEGATIVE_INFINITY, 100);
  return [
    ["truncated binary STL", truncated, /truncated/],
    ["triangle count that does not match the size", wrongCount, /says 1000 triangles/],
    ["NaN coordinate", nan, /not a finite number/],
    ["infinite coordinate", inf, /not a finite number/],
    ["no triangles", Buffer.alloc(84), /no triangles/],
    ["invalid XML", zipSync({ "3D/3dmodel.model": strToU8("<model><build><item objectid=") }), /XML|build items/],
  ];
}

/** A 3MF that inflates past the limit: refused as too large (413), not as malformed. */
const zipBomb = () => zipSync({ "3D/3dmodel.model": new Uint8Array(40 * 1024 * 1024) }, { level: 9 });

beforeAll(async () => {
  sys = await startTestSystem({ uploadLimitBytes: 4 * 1024 * 1024 });
  await seed(sys.db, { products: 5, customers: 1, orders: 0 });
});
afterAll(() => sys.stop());

describe("MES POST /analyses", () => {
  it("measures an uploaded model", async () => {
    const res = await post(`${sys.urls.mes}/analyses`, cube, { token: sys.token("operator") });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ format: "stl", measurements: { triangleCount: 12, watertight: true } });
    expect(res.body.measurements.volume).toBeCloseTo(8000, 3);
  });

  it("refuses each malformed file with 422 and a reason", async () => {
    for (const [name, bytes, reason] of malformed()) {
      const res = await post(`${sys.urls.mes}/analyses`, bytes, { token: sys.token("operator") });
      expect(res.status, name).toBe(422);
      expect(res.body.error.code, name).toBe("invalid_model");
      expect(res.body.error.message, name).toMatch(reason);
    }
    const bomb = await post(`${sys.urls.mes}/analyses`, zipBomb(), { token: sys.token("operator") });
    expect([bomb.status, bomb.body.error.code]).toEqual([413, "model_too_large"]);
    expect(bomb.body.error.message).toMatch(/inflates to more than/);
  });

  it("refuses a missing body, a JSON body, an oversized file and callers without a role", async () => {
    const op = sys.token("operator");
    expect((await sys.call(`${sys.urls.mes}/analyses`, { method: "POST", token: op })).status).toBe(400);
    expect((await sys.call(`${sys.urls.mes}/analyses`, { method: "POST", token: op, body: { stl: "x" } })).status).toBe(
      400,
    );
    const big = await post(`${sys.urls.mes}/analyses`, Buffer.alloc(5 * 1024 * 1024), { token: op });
    expect(big.status).toBe(413);
    expect((await post(`${sys.urls.mes}/analyses`, cube)).status).toBe(401);
    expect((await post(`${sys.urls.mes}/analyses`, cube, { token: sys.token("customer", "1") })).status).toBe(403);
  });
});

describe("Shop POST /quotes", () => {
  it("returns measurements and a price for the chosen options, computed by MES", async () => {
    const res = await post(`${sys.urls.shop}/quotes?material=PETG&infill=0.5&layerHeight=0.1&quantity=4`, cube);
    expect(res.status).toBe(200);
    expect(res.body.measurements.volume).toBeCloseTo(8000, 3);
    expect(res.body.quote).toMatchObject({
      pricingVersion: 1,
      currency: "EUR",
      options: { material: "PETG", infill: 0.5, layerHeightMm: 0.1, quantity: 4 },
    });
    const cheaper = await post(`${sys.urls.shop}/quotes?material=PLA&infill=0.1&layerHeight=0.3`, cube);
    expect(cheaper.body.quote.totalCents).toBeLessThan(res.body.quote.totalCents);
  });

  it("passes MES's refusal of a malformed file on as 422, and rejects bad options", async () => {
    for (const [name, bytes, reason] of malformed().slice(0, 3)) {
      const res = await post(`${sys.urls.shop}/quotes`, bytes);
      expect(res.status, name).toBe(422);
      expect(res.body.error.message, name).toMatch(reason);
    }
    for (const q of ["material=gold", "infill=2", "layerHeight=0", "quantity=0", "colour=red"]) {
      expect((await post(`${sys.urls.shop}/quotes?${q}`, cube)).status, q).toBe(400);
    }
    expect((await post(`${sys.urls.shop}/quotes`, Buffer.alloc(5 * 1024 * 1024))).status).toBe(413);
    expect(
      (await post(`${sys.urls.shop}/quotes`, "solid x", { headers: { "content-type": "text/plain" } })).status,
    ).toBe(415);
  });
});

describe("Shop models, metadata and previews", () => {
  it("uploads a model, sets it on a product, and serves its metadata and preview from the object store", async () => {
    const manager = sys.token("manager");
    const up = await post(`${sys.urls.shop}/models`, toBinaryStl(sphere(10, 48, 24)), { token: manager });
    expect(up.status).toBe(201);
    expect(up.body.modelKey).toBe(`models/${up.body.sha256}.stl`);
    const patched = await sys.call(`${sys.urls.shop}/products/2`, {
      method: "PATCH",
      token: manager,
      body: { modelKey: up.body.modelKey },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.modelSha256).toBe(up.body.sha256);
    const product = await sys.call(`${sys.urls.shop}/products/2`);
    expect(product.body.model).toMatchObject({
      sha256: up.body.sha256,
      format: "stl",
      measurements: { watertight: true },
    });

    const res = await fetch(`${sys.urls.shop}/products/2/preview.png`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    const png = PNG.sync.read(Buffer.from(await res.arrayBuffer()));
    expect([png.width, png.height]).toEqual([256, 256]);
    const small = PNG.sync.read(
      Buffer.from(await (await fetch(`${sys.urls.shop}/products/2/preview.png?size=64`)).arrayBuffer()),
    );
    expect(small.width).toBe(64);
    expect(await sys.objectStore.head(`previews/${up.body.sha256}/64.png`)).not.toBeNull();
  });

  it("answers 404 for a product without a model, 400 for a bad size, 422 for a model key that holds nothing", async () => {
    expect((await sys.call(`${sys.urls.shop}/products/3/preview.png`)).status).toBe(404);
    expect((await sys.call(`${sys.urls.shop}/products/2/preview.png?size=2000`)).status).toBe(400);
    expect((await sys.call(`${sys.urls.shop}/products/999/preview.png`)).status).toBe(404);
    const before = (await sys.call(`${sys.urls.shop}/products/3`)).body;
    const res = await sys.call(`${sys.urls.shop}/products/3`, {
      method: "PATCH",
      token: sys.token("manager"),
      body: { modelKey: "models/nothing.stl" },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("model_not_found");
    expect((await sys.call(`${sys.urls.shop}/products/3`)).body).toEqual(before);
    expect((await post(`${sys.urls.shop}/models`, Buffer.alloc(84), { token: sys.token("manager") })).status).toBe(422);
    expect((await post(`${sys.urls.shop}/models`, cube, { token: sys.token("customer", "1") })).status).toBe(403);
  });
});

describe("a model that takes too long", () => {
  it("is refused with 422 once past the deadline, and the service keeps answering", async () => {
    const tight = await startTestSystem({ meshDeadlineMs: 100, uploadLimitBytes: 32 * 1024 * 1024 });
    try {
      // About 490,000 triangles: several times the deadline's worth of work on any machine we run on.
      const big = toBinaryStl(sphere(10, 700, 350));
      const res = await tight.call(`${tight.urls.mes}/analyses`, {
        method: "POST",
        rawBody: big,
        headers: octet,
        token: tight.token("operator"),
      });
      expect(res.status).toBe(422);
      expect(res.body.error.message).toMatch(/longer than 100 ms/);
      expect((await tight.call(`${tight.urls.mes}/health`)).status).toBe(200);
    } finally {
      await tight.stop();
    }
  });
});
