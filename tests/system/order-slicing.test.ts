import { seed, seedModels } from "@printfab/launcher";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSystem, type TestSystem } from "../support/test-system.ts";
import { sleep, until } from "../support/waiting.ts";

let sys: TestSystem;

beforeAll(async () => {
  // The slicer is on here (test systems leave it off, so that orders placed elsewhere do not slice).
  sys = await startTestSystem({ cache: "redis", env: { SLICER: "prusa-slicer" } });
  await seed(sys.db, { products: 3, customers: 1, orders: 0 });
  await seedModels(sys.db, sys.objectStore, sys.meshPool);
}, 60_000);
afterAll(() => sys?.stop());

describe("placing an order", () => {
  it("slices its items' models in the background: quotes for them then use the slicer's figures", async () => {
    const product = (await sys.call(`${sys.urls.shop}/products/1`)).body;
    expect(product.modelKey).toBeTruthy();
    const model = Buffer.from(await (await fetch(`${sys.urls.shop}/products/1/model`)).arrayBuffer());
    // A quote never starts a slice: it reads what is there (the order's defaults: 0.2 mm, 20 % infill).
    const estimator = async () => {
      const quote = await sys.call(`${sys.urls.mes}/quotes?material=${product.material}`, {
        method: "POST",
        token: sys.token("service", "shop"),
        rawBody: model,
        headers: { "content-type": "application/octet-stream" },
      });
      expect(quote.status).toBe(200);
      return quote.body.estimator as string;
    };
    expect(await estimator()).toBe("heuristic");
    // Still not sliced a while later: nothing but an order starts it.
    await sleep(300);
    expect(await estimator()).toBe("heuristic");

    const placed = await sys.call(`${sys.urls.shop}/orders`, {
      method: "POST",
      token: sys.token("customer", "1"),
      body: { items: [{ productId: 1, quantity: 1 }] },
    });
    expect(placed.status).toBe(201);
    await until(async () => (await estimator()) === "slicer", 60_000, "the order's model sliced");
  }, 90_000);
});
