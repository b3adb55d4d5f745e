import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { alive, spawnFailure, stopChild } from "./child-exit.ts";
import { TEST_SERVICE_ENV } from "./test-env.ts";

const root = fileURLToPath(new URL("../../..", import.meta.url));
// Run by path, as `npm start` runs it: the test kit imports no service.
const main = join(root, "services/launcher/src/main.ts");

export type ServiceName = "shop" | "crm" | "mes";

/**
 * One service in a process of its own, as `npm start` runs it with SERVICE set (the way the benchmarks
 * start them): a SIGTERM, a SIGKILL or a crash then behaves as in production, which an in-process test
 * system cannot show.
 */
export class ServiceProcess {
  #child: ChildProcess | undefined;

  constructor(
    readonly name: string,
    readonly url: string,
    private readonly env: Record<string, string>,
  ) {}

  /** `service` alone on 127.0.0.1:`port` (SERVICE, HOST and its `<SERVICE>_PORT` set over `env`). */
  static of(service: ServiceName, port: number, env: Record<string, string>, name: string = service): ServiceProcess {
    return new ServiceProcess(name, `http://127.0.0.1:${port}`, {
      ...env,
      SERVICE: service,
      HOST: "127.0.0.1",
      [`${service.toUpperCase()}_PORT`]: String(port),
    });
  }

  /** `host:port`, as a load balancer names it. */
  get address(): string {
    return new URL(this.url).host;
  }

  /** Starts it and waits until its /health answers 200. */
  async start(timeoutMs = 60_000): Promise<void> {
    const child = spawn(process.execPath, ["--import", "tsx", main], {
      env: { ...TEST_SERVICE_ENV, ...this.env },
      cwd: root,
      stdio: ["ignore", "ignore", "inherit"],
    });
    this.#child = child;
    const failed = spawnFailure(child, this.name);
    const deadline = Date.now() + timeoutMs;
    try {
      while (!(await Promise.race([this.healthy(), failed]))) {
        if (!alive(child)) throw new Error(`${this.name} exited with ${child.exitCode ?? child.signalCode} at start`);
        if (Date.now() > deadline) throw new Error(`${this.name} did not start within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } catch (err) {
      await stopChild(child, "SIGKILL");
      throw err;
    }
  }

  healthy(): Promise<boolean> {
    return fetch(`${this.url}/health`).then(
      (r) => r.ok,
      () => false,
    );
  }

  get running(): boolean {
    return this.#child !== undefined && alive(this.#child);
  }

  /** Sends `signal` and waits for the exit (SIGKILL after 10 s); the exit code, null if a signal ended it. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    const child = this.#child;
    if (!child) return null;
    return stopChild(child, signal);
  }
}

/**
 * Starts them all at once (a Node process costs seconds of CPU to start) and, if one fails, stops the
 * others before rethrowing, so a failed start leaves no process behind.
 */
export async function startAll(processes: ServiceProcess[], timeoutMs?: number): Promise<void> {
  const started = await Promise.allSettled(processes.map((p) => p.start(timeoutMs)));
  const failed = started.find((s) => s.status === "rejected");
  if (failed) {
    await Promise.all(processes.map((p) => p.stop("SIGKILL")));
    throw failed.reason;
  }
}

/** A counter summed over the processes' /metrics: every series `name` whose labels contain each of `labels`. */
export async function metricSum(processes: ServiceProcess[], name: string, ...labels: string[]): Promise<number> {
  const texts = await Promise.all(processes.map(async (p) => (await fetch(`${p.url}/metrics`)).text()));
  let total = 0;
  for (const line of texts.join("\n").split("\n"))
    if (line.startsWith(`${name}{`) && labels.every((l) => line.includes(l)))
      total += Number(line.slice(line.lastIndexOf(" ") + 1));
  return total;
}

/**
 * The processes' database queries for requests (`db_queries_total{service}`), without a load balancer's
 * health checks, which cost a `SELECT 1` each and count as the service's. Read until two reads agree, so
 * a check caught between its query and its answer's count does not pass for a request's query.
 */
export async function requestQueries(processes: ServiceProcess[], service: ServiceName): Promise<number> {
  const read = async () =>
    (await metricSum(processes, "db_queries_total", `service="${service}"`)) -
    (await metricSum(processes, "http_request_duration_seconds_count", 'route="/health"'));
  let last = await read();
  for (let next = await read(); next !== last; next = await read()) last = next;
  return last;
}
