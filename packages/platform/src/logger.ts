import { type Logger, pino } from "pino";

export type { Logger };

export function createLogger(level: string, name = "printfab"): Logger {
  return pino({
    name,
    level,
    redact: { paths: ["req.headers.authorization", "headers.authorization"], censor: "[redacted]" },
  });
}
