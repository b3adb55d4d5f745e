import type { ChildProcess } from "node:child_process";

/** Whether the child is still running (it has neither exited nor been killed by a signal). */
export const alive = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;

/**
 * Sends `signal` and waits for the exit; a child still there after `killAfterMs` (a hung drain) gets
 * SIGKILL, so a test's teardown never waits on it past its own deadline. Resolves with the exit code
 * (null when a signal ended it).
 */
export function stopChild(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM", killAfterMs = 10_000) {
  if (!alive(child)) return Promise.resolve(child.exitCode);
  return new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.kill(signal);
  });
}

/** A spawn that failed (a missing binary) rejects the waiter with a clear error instead of crashing the worker. */
export function spawnFailure(child: ChildProcess, what: string): Promise<never> {
  const failed = new Promise<never>((_, reject) => {
    child.once("error", (err) => reject(new Error(`${what} could not be started: ${err.message}`)));
  });
  // Raced while starting; an error after that (none is expected) must not become an unhandled rejection.
  failed.catch(() => undefined);
  return failed;
}
