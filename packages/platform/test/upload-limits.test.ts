import { randomBytes } from "node:crypto";
import { connectRedis, type RedisClient, waitUntilReady } from "@printfab/cache";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuth } from "../src/auth.ts";
import { DEFAULT_EDGE } from "../src/client-limits.ts";
import type { EdgeSettings } from "../src/config.ts";
import { acceptModelUploads, createHttpApp, type HttpApp } from "../src/http-app.ts";
import { createLogger } from "../src/logger.ts";

const auth = createAuth("a-secret-of-sufficient-length");
const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
let redis: RedisClient;
const apps: HttpApp[] = [];

beforeAll(async () => {
  redis = connectRedis({ url: REDIS_URL });
  await waitUntilReady(redis);
});
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  redis.disconnect();
});

/** An upload route whose handler waits for `gate` (to hold uploads in flight), and a JSON route. */
async function uploadApp(edge: Partial<EdgeSettings>, namespace: string, gate?: Promise<void>): Promise<HttpApp> {
  const app = await createHttpApp({
    service: "uploads",
    description: "test",
    logger: createLogger("silent"),
    edge: { ...DEFAULT_EDGE, maxEventLoopDelayMs: 0, ...edge },
    auth,
    caches: { redis, namespace },
  });
  acceptModelUploads(app);
  app.post("/quotes", { config: { upload: true } }, async (request) => {
    await gate;
    return { bytes: (request.body as Buffer).length };
  });
  app.post("/json", async () => ({ ok: true }));
  await app.ready();
  apps.push(app);
  return app;
}

const upload = (app: HttpApp, token?: string) =>
  app.inject({
    method: "POST",
    url: "/quotes",
    headers: {
      "content-type": "application/octet-stream",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    payload: Buffer.from("solid x\nendsolid x\n"),
  });

describe("upload limits", () => {
  it("limits the rate per client across instances sharing Redis, with 429, Retry-After and the JSON shape", async () => {
    const ns = `t${randomBytes(4).toString("hex")}`;
    const [one, two] = [
      await uploadApp({ uploadRatePerMinute: 3 }, ns),
      await uploadApp({ uploadRatePerMinute: 3 }, ns),
    ];
    expect((await upload(one)).statusCode).toBe(200);
    expect((await upload(two)).statusCode).toBe(200);
    expect((await upload(one)).statusCode).toBe(200);
    const limited = await upload(two);
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    expect(limited.json().error.code).toBe("rate_limited");
    // A signed-in customer is counted by who they are, not by the address they share.
    const customer = auth.sign({ sub: "5", role: "customer" });
    expect((await upload(one, customer)).statusCode).toBe(200);
    // The Shop forwarding customers' quotes is not limited: the customers were counted there.
    const service = auth.sign({ sub: "shop", role: "service" });
    for (let i = 0; i < 5; i++) expect((await upload(two, service)).statusCode).toBe(200);
  });

  it("caps the uploads one client has in flight; others and later ones go through", async () => {
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const app = await uploadApp({ uploadConcurrencyPerClient: 2 }, `t${randomBytes(4).toString("hex")}`, gate);
    const held = [upload(app), upload(app)];
    await new Promise((r) => setTimeout(r, 50));
    const third = await upload(app);
    expect(third.statusCode).toBe(429);
    expect(third.json().error.code).toBe("too_many_uploads");
    // Another client is not behind this one's cap.
    held.push(upload(app, auth.sign({ sub: "8", role: "customer" })));
    release();
    for (const res of await Promise.all(held)) expect(res.statusCode).toBe(200);
    expect((await upload(app)).statusCode).toBe(200);
  });

  it("keeps JSON routes to JSON: a 3D file's type is a 415 there", async () => {
    const app = await uploadApp({}, `t${randomBytes(4).toString("hex")}`);
    const res = await app.inject({
      method: "POST",
      url: "/json",
      headers: { "content-type": "application/octet-stream" },
      payload: Buffer.from("x"),
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.code).toBe("unsupported_media_type");
  });
});
