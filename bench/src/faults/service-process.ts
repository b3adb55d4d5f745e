import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const main = join(root, "services/launcher/src/main.ts");

/**
 * One service in a process of its own, as `npm start` runs it with SERVICE set (the way the system
 * benchmark starts them): a SIGTERM or a crash then behaves as in production, which an in-process test
 * system cannot show.
 */
export class ServiceProcess {
  #child: ChildProcess | undefined;

  constructor(
    readonly name: string,
    readonly url: string,
    private readonly env: Record<string, string>,
  ) {}

  /** Starts it and waits until its /health answers 200. */
  async start(timeoutMs = 60_000): Promise<void> {
    const child = spawn(process.execPath, ["--import", "tsx", main], {
      env: this.env,
      stdio: ["ignore", "ignore", "inherit"],
    });
    this.#child = child;
    const deadline = Date.now() + timeoutMs;
    while (!(await this.healthy())) {
      if (child.exitCode !== null) throw new Error(`${this.name} exited with ${child.exitCode} at start`);
      if (Date.now() > deadline) throw new Error(`${this.name} did not start within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  healthy(): Promise<boolean> {
    return fetch(`${this.url}/health`).then(
      (r) => r.ok,
      () => false,
    );
  }

  /** Sends `signal` and waits for the exit; resolves with the exit code (null if killed by a signal). */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill(signal);
    return exited;
  }
}
