import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { alive, spawnFailure, stopChild } from "./child-exit.ts";
import { freePort } from "./free-port.ts";
import type { ServiceName } from "./service-process.ts";

/** The deployment's own configuration: what the tests prove is what production runs. */
export const HAPROXY_CONFIG = join(fileURLToPath(new URL("../../..", import.meta.url)), "deploy/haproxy/haproxy.cfg");
const HAPROXY = process.env.HAPROXY_BIN ?? "/usr/sbin/haproxy";
/** The configuration's slots per service (PRINTFAB_SHOP_1 .. PRINTFAB_SHOP_4). */
const MAX_INSTANCES = 4;

export interface HaproxyOptions {
  /** Each balanced service's instances, as `host:port`; a service left out has no frontend. */
  instances: Partial<Record<ServiceName, string[]>>;
  /** Frontend ports chosen beforehand, for URLs the instances must know at their start (MES_URL); free ones otherwise. */
  ports?: Partial<Record<ServiceName, number>>;
  /** More of the configuration's settings (PRINTFAB_CHECK_INTER, PRINTFAB_TIMEOUT_SERVER). */
  env?: Record<string, string>;
}

export interface Haproxy {
  /** Each balanced service's frontend. */
  urls: Partial<Record<ServiceName, string>>;
  /** Each instance's state as the health checks see it (`UP`, `DOWN`, `UP 1/2`...), by server name (`shop1`). */
  states(): Promise<Map<string, string>>;
  stop(): Promise<void>;
}

/** The configuration's environment: every frontend and the stats on free loopback ports. */
async function configEnv(options: HaproxyOptions) {
  const urls: Haproxy["urls"] = {};
  const env: Record<string, string> = {
    PRINTFAB_HAPROXY_TEST: "1",
    PRINTFAB_SHOP_SERVED_BY: "1",
    PATH: process.env.PATH ?? "",
  };
  for (const [service, instances] of Object.entries(options.instances) as Array<[ServiceName, string[]]>) {
    if (instances.length < 1 || instances.length > MAX_INSTANCES)
      throw new Error(`${service}: 1 to ${MAX_INSTANCES} instances, not ${instances.length}`);
    const port = options.ports?.[service] ?? (await freePort());
    const name = service.toUpperCase();
    env[`PRINTFAB_${name}_BIND`] = `127.0.0.1:${port}`;
    instances.forEach((address, i) => {
      env[`PRINTFAB_${name}_${i + 1}`] = address;
    });
    urls[service] = `http://127.0.0.1:${port}`;
  }
  const statsUrl = `http://127.0.0.1:${await freePort()}`;
  env.PRINTFAB_STATS_BIND = new URL(statsUrl).host;
  return { urls, statsUrl, env: { ...env, ...options.env } };
}

/** Server states from HAProxy's CSV statistics (`pxname,svname,...,status,...`). */
async function readStates(statsUrl: string): Promise<Map<string, string>> {
  const [header = "", ...rows] = (await (await fetch(`${statsUrl}/stats;csv`)).text()).trim().split("\n");
  const columns = header.replace(/^# /, "").split(",");
  const [name, status] = [columns.indexOf("svname"), columns.indexOf("status")];
  const states = new Map<string, string>();
  for (const row of rows) {
    const cells = row.split(",");
    const server = cells[name] ?? "";
    if (server !== "FRONTEND" && server !== "BACKEND") states.set(server, cells[status] ?? "");
  }
  return states;
}

/**
 * HAProxy in the foreground on free loopback ports, with deploy/haproxy/haproxy.cfg and `options` as its
 * environment; resolves once the health checks found every instance up, so the first request is balanced.
 */
export async function startHaproxy(options: HaproxyOptions, timeoutMs = 15_000): Promise<Haproxy> {
  const { urls, statsUrl, env } = await configEnv(options);
  let stderr = "";
  const child = spawn(HAPROXY, ["-db", "-f", HAPROXY_CONFIG], { env, stdio: ["ignore", "ignore", "pipe"] });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const failed = spawnFailure(child, HAPROXY);
  const states = () => readStates(statsUrl);
  const deadline = Date.now() + timeoutMs;
  const allUp = () =>
    states().then(
      (s) => s.size > 0 && [...s.values()].every((state) => state === "UP"),
      () => false,
    );
  try {
    while (!(await Promise.race([allUp(), failed]))) {
      if (!alive(child) || Date.now() > deadline) {
        throw new Error(`haproxy did not serve with every instance up within ${timeoutMs} ms: ${stderr.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return { urls, states, stop: () => stopChild(child).then(() => undefined) };
}
