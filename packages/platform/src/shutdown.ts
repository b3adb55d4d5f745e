import type { Logger } from "./logger.ts";

/**
 * On SIGTERM or SIGINT, runs the closers in order (servers first, so in-flight requests drain, then the
 * connections they used) and exits; a second signal or the deadline forces the exit.
 */
export function onShutdown(logger: Logger, timeoutMs: number, closers: Array<() => Promise<unknown>>): void {
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    closing = true;
    logger.info({ signal }, "shutting down: draining in-flight requests");
    const deadline = setTimeout(() => {
      logger.error({ timeoutMs }, "shutdown deadline passed: exiting");
      process.exit(1);
    }, timeoutMs);
    deadline.unref();
    let code = 0;
    for (const close of closers) {
      try {
        await close();
      } catch (err) {
        code = 1;
        logger.error({ err }, "error while shutting down");
      }
    }
    logger.info("stopped");
    process.exit(code);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
}
