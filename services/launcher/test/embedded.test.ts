import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { EnvSchema } from "@printfab/platform";
import { freePort } from "@printfab/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const seedCli = fileURLToPath(new URL("../src/seed-cli.ts", import.meta.url));
const run = promisify(execFile);

describe("npm start (embedded defaults)", () => {
  let dataDir: string;
  let child: ChildProcess;
  let stdout = "";
  let ports: number[];
  let exit: Promise<number | null>;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "printfab-embedded-"));
    ports = [await freePort(), await freePort(), await freePort()];
    child = spawn(process.execPath, ["--import", "tsx", main], {
      env: {
        PATH: process.env.PATH,
        DATA_DIR: dataDir,
        SHOP_PORT: String(ports[0]),
        CRM_PORT: String(ports[1]),
        MES_PORT: String(ports[2]),
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (d) => {
      stdout += d;
    });
    exit = new Promise((r) => child.on("exit", (code) => r(code)));
    const deadline = Date.now() + 90_000;
    while (!stdout.includes("operator:")) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`did not start: ${stdout}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 120_000);

  afterAll(async () => {
    if (child.exitCode === null) child.kill("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
  });

  it("prints the three URLs and a token per role", () => {
    for (const port of ports) expect(stdout).toContain(`http://127.0.0.1:${port}`);
    expect(stdout).toMatch(/customer \d+: ey/);
    expect(stdout).toMatch(/manager: +ey/);
  });

  it("serves health, the seeded catalogue, and places an order for the demo customer", async () => {
    const health = await fetch(`http://127.0.0.1:${ports[0]}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok" });
    const page = (await (await fetch(`http://127.0.0.1:${ports[0]}/products?limit=5`)).json()) as { total: number };
    expect(page.total).toBe(2000);
    const product = (await (await fetch(`http://127.0.0.1:${ports[0]}/products/7`)).json()) as {
      model: { measurements: { watertight: boolean } };
    };
    expect(product.model.measurements.watertight).toBe(true);
    const preview = await fetch(`http://127.0.0.1:${ports[0]}/products/7/preview.png`);
    expect(preview.headers.get("content-type")).toBe("image/png");
    const [, id, token] = /customer (\d+): (\S+)/.exec(stdout) ?? [];
    const order = await fetch(`http://127.0.0.1:${ports[0]}/orders`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ items: [{ productId: 1, quantity: 2 }] }),
    });
    expect(order.status).toBe(201);
    expect(await order.json()).toMatchObject({ customerId: Number(id), status: "created" });
    const manager = /manager: +(\S+)/.exec(stdout)?.[1];
    const orders = await fetch(`http://127.0.0.1:${ports[1]}/orders?status=delivered&limit=1`, {
      headers: { authorization: `Bearer ${manager}` },
    });
    expect(((await orders.json()) as { total: number }).total).toBe(625);
  });

  it("stops cleanly on SIGTERM", async () => {
    child.kill("SIGTERM");
    expect(await exit).toBe(0);
  });
});

describe("launcher command line", () => {
  it("prints --help", async () => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", main, "--help"]);
    expect(stdout).toMatch(/Usage: npm start/);
    // Generated from the configuration's schema: every variable is there, with its default.
    for (const name of Object.keys(EnvSchema.properties)) expect(stdout).toMatch(new RegExp(`^  ${name} `, "m"));
    expect(stdout).toMatch(/HTTP_REQUEST_TIMEOUT_MS +.*\(default 60000\)/);
  });

  it("names a bad setting and exits 2", async () => {
    const err = (await run(process.execPath, ["--import", "tsx", main], {
      env: { PATH: process.env.PATH, SHOP_PORT: "seventy", CACHE: "sometimes" },
    }).catch((e) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/SHOP_PORT="seventy"/);
    expect(err.stderr).toMatch(/CACHE="sometimes"/);
  });

  it("refuses the public development secret outside the embedded demo, with exit 2", async () => {
    for (const env of [{ NODE_ENV: "production" }, { DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" }]) {
      const err = (await run(process.execPath, ["--import", "tsx", main], {
        env: { PATH: process.env.PATH, ...env },
      }).catch((e) => e)) as { code: number; stderr: string };
      expect(err.code).toBe(2);
      expect(err.stderr).toMatch(/AUTH_SECRET is required/);
    }
  });

  it("seeds from the command line with progress, and refuses a bad size", async () => {
    const dir = await mkdtemp(join(tmpdir(), "printfab-seed-"));
    const env = { PATH: process.env.PATH, DATA_DIR: dir };
    const { stdout } = await run(
      process.execPath,
      ["--import", "tsx", seedCli, "--products", "300", "--customers", "5", "--orders", "40"],
      { env },
    );
    expect(stdout).toMatch(/seeded \{"products":300,"customers":5,"orders":40\}/);
    const bad = (await run(process.execPath, ["--import", "tsx", seedCli, "--products", "many"], { env }).catch(
      (e) => e,
    )) as {
      code: number;
      stderr: string;
    };
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--products must be a whole number/);
    await rm(dir, { recursive: true, force: true });
  });
});
