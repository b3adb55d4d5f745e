import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError, DEV_AUTH_SECRET, loadConfig } from "../src/config.ts";
import { EnvSchema } from "../src/config-schema.ts";

describe("loadConfig", () => {
  it("gives the embedded defaults when nothing is set", () => {
    const c = loadConfig({});
    expect(c.service).toBe("all");
    expect(c.ports).toEqual({ shop: 3001, crm: 3002, mes: 3003 });
    expect(c.urls.mes).toBe("http://127.0.0.1:3003");
    expect(c.databaseUrl).toBeUndefined();
    expect(c.s3).toBeUndefined();
    expect(c.cacheEnabled).toBe(true);
    expect(c.authSecret).toBe(DEV_AUTH_SECRET);
    expect(c.authSecretIsDefault).toBe(true);
    expect(c.bodyLimitBytes).toBe(100 * 1024 * 1024);
  });

  it("reads real parts and switches", () => {
    const c = loadConfig({
      SERVICE: "shop",
      SHOP_PORT: "4001",
      DATABASE_URL: "postgres://u@db:5432/x",
      S3_ENDPOINT: "http://s3:9000",
      S3_BUCKET: "models",
      S3_ACCESS_KEY_ID: "a",
      S3_SECRET_ACCESS_KEY: "b",
      CACHE: "off",
      AUTH_SECRET: "a-very-long-secret-value",
      MES_URL: "http://mes.internal:3003",
    });
    expect(c.service).toBe("shop");
    expect(c.ports.shop).toBe(4001);
    expect(c.databaseUrl).toBe("postgres://u@db:5432/x");
    expect(c.s3).toMatchObject({ endpoint: "http://s3:9000", bucket: "models", region: "us-east-1" });
    expect(c.cacheEnabled).toBe(false);
    expect(c.authSecretIsDefault).toBe(false);
    expect(c.urls.mes).toBe("http://mes.internal:3003");
  });

  it("names every bad value in one error", () => {
    let error: unknown;
    try {
      loadConfig({ SHOP_PORT: "http", CACHE: "maybe", AUTH_SECRET: "short", SERVICE: "billing" });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join("\n");
    expect(problems).toMatch(/SHOP_PORT="http"/);
    expect(problems).toMatch(/CACHE="maybe"/);
    expect(problems).toMatch(/AUTH_SECRET=.*fewer than 16/);
    expect(problems).toMatch(/SERVICE="billing": must be one of all, shop, crm, mes/);
    expect(problems).toMatch(/SERVICE="billing"/);
  });

  it("refuses an incomplete S3 setting", () => {
    expect(() => loadConfig({ S3_ENDPOINT: "http://s3:9000" })).toThrow(/S3_BUCKET is missing[\s\S]*S3_ACCESS_KEY_ID/);
  });

  it("uses the development secret only in the embedded demo", () => {
    expect(loadConfig({}).embedded).toBe(true);
    const inProduction = () => loadConfig({ NODE_ENV: "production" });
    expect(inProduction).toThrow(ConfigError);
    expect(inProduction).toThrow(/AUTH_SECRET is required/);
    expect(() => loadConfig({ DATABASE_URL: "postgres://u@db:5432/x", REDIS_URL: "redis://r:6379" })).toThrow(
      /AUTH_SECRET is required/,
    );
    const real = loadConfig({ NODE_ENV: "production", AUTH_SECRET: "a-very-long-secret-value" });
    expect(real.embedded).toBe(false);
    expect(real.authSecretIsDefault).toBe(false);
  });

  it("reads the client limits, with safe defaults", () => {
    expect(loadConfig({}).edge).toMatchObject({
      requestTimeoutMs: 60_000,
      headersTimeoutMs: 10_000,
      maxConnections: 1_000,
      adminToken: undefined,
    });
    const c = loadConfig({
      HTTP_REQUEST_TIMEOUT_MS: "2000",
      ADMIN_TOKEN: "an-admin-token-of-length",
      TRUST_PROXY: "10.0.0.0/8",
    });
    expect(c.edge).toMatchObject({
      requestTimeoutMs: 2000,
      adminToken: "an-admin-token-of-length",
      trustProxy: "10.0.0.0/8",
    });
    expect(() => loadConfig({ HTTP_REQUEST_TIMEOUT_MS: "0" })).toThrow(/HTTP_REQUEST_TIMEOUT_MS/);
    expect(() => loadConfig({ ADMIN_TOKEN: "short" })).toThrow(/ADMIN_TOKEN/);
  });

  it("is documented: the README's configuration table names every variable the schema reads", () => {
    const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
    for (const name of Object.keys(EnvSchema.properties)) expect(readme, name).toContain(name);
  });
});
