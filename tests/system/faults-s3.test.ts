import { seed, seedModels } from "@printfab/launcher";
import { box, toBinaryStl } from "@printfab/mesh";
import type { FaultProxy } from "@printfab/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FaultParts, openFaultParts } from "../support/fault-parts.ts";
import { startTestSystem, type TestSystem } from "../support/test-system.ts";
import { timed, until } from "../support/waiting.ts";

// Small, so a hung store is answered quickly; the bound is the issue's: the deadline plus 2 s.
const DEADLINE_MS = 1000;
const BOUND_MS = DEADLINE_MS + 2000;

let parts: FaultParts;
let proxy: FaultProxy;
let sys: TestSystem;
const shop = (path: string) => `${sys.urls.shop}${path}`;

async function preview(id: number, size?: number) {
  const res = await fetch(shop(`/products/${id}/preview.png${size ? `?size=${size}` : ""}`));
  const bytes = Buffer.from(await res.arrayBuffer());
  const body = res.headers.get("content-type")?.startsWith("application/json") ? JSON.parse(bytes.toString()) : null;
  return { status: res.status, headers: res.headers, bytes, body };
}

const upload = (stl: Buffer) =>
  sys.call(shop("/models"), {
    method: "POST",
    token: sys.token("manager"),
    rawBody: stl,
    headers: { "content-type": "application/octet-stream" },
  });

beforeAll(async () => {
  parts = await openFaultParts({ s3Proxy: true, env: { S3_TIMEOUT_MS: String(DEADLINE_MS) } });
  proxy = parts.s3 as FaultProxy;
  sys = await startTestSystem({ env: parts.env });
  await seed(sys.db, { products: 4, customers: 1, orders: 0 });
  await seedModels(sys.db, sys.objectStore, sys.meshPool);
});
afterAll(async () => {
  proxy?.pass();
  await sys?.stop();
  await parts?.close();
});

describe("S3 hung (every byte held by the proxy)", () => {
  it("an uncached preview and an upload answer 503 within the deadline; a cached preview still answers", async () => {
    for (let i = 0; i < 2; i++) expect((await preview(1)).status).toBe(200);
    proxy.pause();
    try {
      const [uncached, stored] = await Promise.all([
        timed(() => preview(1, 128)),
        timed(() => upload(toBinaryStl(box(11, 12, 13)))),
      ]);
      console.info(`s3 hung: uncached preview ${uncached.ms | 0} ms, upload ${stored.ms | 0} ms`);
      for (const [r, what] of [
        [{ ...uncached.value, ms: uncached.ms }, "uncached preview"],
        [{ ...stored.value, ms: stored.ms }, "model upload"],
      ] as const) {
        expect(r.status, what).toBe(503);
        expect(r.body?.error.code, what).toBe("dependency_unavailable");
        expect(Number(r.headers.get("retry-after")), what).toBeGreaterThan(0);
        expect(r.ms, what).toBeLessThan(BOUND_MS);
      }
      const cached = await timed(() => preview(1));
      expect(cached.value.status).toBe(200);
      expect(cached.value.bytes.subarray(1, 4).toString()).toBe("PNG");
      expect(cached.value.headers.get("cache-status")).toMatch(/^shop; hit/);
      expect(cached.ms).toBeLessThan(DEADLINE_MS);
      const health = await sys.call(`${sys.urls.shop}/health`);
      expect(health.body.dependencies.objectStore.status).toBe("down");
    } finally {
      proxy.pass();
    }
    await until(async () => (await preview(1, 128)).status === 200, 10_000, "an uncached preview after healing");
    expect((await upload(toBinaryStl(box(11, 12, 13)))).status).toBe(201);
  });
});
