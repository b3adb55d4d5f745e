import { tracingChannel } from "node:diagnostics_channel";
import { type Attributes, type Span, SpanKind } from "@opentelemetry/api";
import { failSpan, recordingParent, startSpan } from "./tracing-spans.ts";

/** What ioredis (>= 5.10) publishes for a command or a MULTI on its `ioredis:*` tracing channels. */
interface RedisTraceContext {
  command?: string;
  batchMode?: string;
  batchSize?: number;
  database: number;
  serverAddress: string;
  serverPort: number | undefined;
  error?: unknown;
  span?: Span;
}

const attributesOf = (c: RedisTraceContext, operation: string): Attributes => ({
  "db.system.name": "redis",
  "db.operation.name": operation,
  "db.namespace": String(c.database),
  "server.address": c.serverAddress,
  ...(c.serverPort === undefined ? {} : { "server.port": c.serverPort }),
  ...(c.batchSize === undefined ? {} : { "db.operation.batch.size": c.batchSize }),
});

/**
 * A client span per Redis command sent inside a traced operation. ioredis announces each command on a
 * diagnostics channel (in the caller's async context, synchronously from the call), so no module is
 * patched and every copy of ioredis in the process is seen, whatever loaded it. Arguments are left out:
 * a fill's carry whole entries. Returns the unsubscription.
 */
export function traceRedisCommands(): () => void {
  const handlers = {
    start(c: RedisTraceContext) {
      if (!recordingParent()) return;
      const operation = (c.command ?? c.batchMode ?? "unknown").toUpperCase();
      c.span = startSpan(operation, { kind: SpanKind.CLIENT, attributes: attributesOf(c, operation) });
    },
    error(c: RedisTraceContext) {
      if (c.span) failSpan(c.span, c.error);
    },
    asyncEnd(c: RedisTraceContext) {
      c.span?.end();
    },
    // A command settles asynchronously (asyncEnd); its synchronous part ends before anything is known.
    end() {},
    asyncStart() {},
  };
  const channels = ["ioredis:command", "ioredis:batch"].map((name) => tracingChannel<RedisTraceContext>(name));
  for (const channel of channels) channel.subscribe(handlers);
  return () => {
    for (const channel of channels) channel.unsubscribe(handlers);
  };
}
