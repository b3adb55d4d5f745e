import { type ChildProcess, execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "@printfab/testkit";

export const root = fileURLToPath(new URL("../../..", import.meta.url));
const launcher = join(root, "services/launcher/src/main.ts");

/** Every process the bench starts: whatever way the bench ends (error, Ctrl-C, kill), none outlives it. */
const live = new Set<ChildProcess>();

export function track<T extends ChildProcess>(child: T): T {
  live.add(child);
  child.once("exit", () => live.delete(child));
  return child;
}

let guarded = false;
/** A signal becomes an ordinary exit, and every exit stops the children still running. */
export function stopChildrenOnExit(): void {
  if (guarded) return;
  guarded = true;
  process.once("exit", () => {
    for (const p of live) p.kill("SIGTERM");
  });
  process.once("SIGINT", () => process.exit(130));
  process.once("SIGTERM", () => process.exit(143));
}

export function stopProcess(p: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    p.once("exit", () => resolve());
    p.kill("SIGTERM");
  });
}

/** Runs a TypeScript script with Node to its end; its stdout, or an error carrying its stderr. */
export function runNode(args: string[], timeoutMs = 10 * 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    track(
      execFile(
        process.execPath,
        ["--import", "tsx", ...args],
        { maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs, cwd: root },
        (err, stdout, stderr) => (err ? reject(Object.assign(err, { stderr })) : resolve(stdout)),
      ),
    );
  });
}

export type Service = "shop" | "crm" | "mes";
export const SERVICE_NAMES: Service[] = ["shop", "crm", "mes"];

export interface Running {
  urls: Record<Service, string>;
  procs: ChildProcess[];
}

async function waitHealthy(urls: string[], deadline: number): Promise<void> {
  for (const url of urls) {
    const healthy = () =>
      fetch(`${url}/health`).then(
        (r) => r.ok,
        () => false,
      );
    while (!(await healthy())) {
      if (Date.now() > deadline) throw new Error(`${url} did not start`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Shop, CRM and MES as separate processes, as deployed. */
export async function startSystem(env: Record<string, string>, cache: "on" | "off", namespace: string) {
  const ports = { shop: await freePort(), crm: await freePort(), mes: await freePort() };
  const urls = {
    shop: `http://127.0.0.1:${ports.shop}`,
    crm: `http://127.0.0.1:${ports.crm}`,
    mes: `http://127.0.0.1:${ports.mes}`,
  };
  const procs = (["mes", "shop", "crm"] as const).map((service) =>
    track(
      spawn(process.execPath, ["--import", "tsx", launcher], {
        env: {
          ...env,
          SERVICE: service,
          CACHE: cache,
          CACHE_NAMESPACE: namespace,
          SHOP_PORT: String(ports.shop),
          CRM_PORT: String(ports.crm),
          MES_PORT: String(ports.mes),
          LOG_LEVEL: "error",
          SEED: "off",
        },
        stdio: ["ignore", "ignore", "inherit"],
      }),
    ),
  );
  const running: Running = { urls, procs };
  try {
    await waitHealthy(Object.values(urls), Date.now() + 60_000);
  } catch (err) {
    await stopSystem(running);
    throw err;
  }
  return running;
}

export async function stopSystem(s: Running): Promise<void> {
  await Promise.all(s.procs.map(stopProcess));
}
