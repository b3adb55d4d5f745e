import { SpanKind } from "@opentelemetry/api";
import { inSpan, recordingParent, startSpan } from "./tracing-spans.ts";

const FIRST_WORD = /^\s*([A-Za-z]+)/;

/**
 * Runs a statement (or, with `text` undefined, a whole transaction, whose statements become its children)
 * under a span when inside a traced operation; otherwise it is `run()`. The span is named by the
 * statement's first keyword (SELECT, INSERT, ...) and carries the statement's text, which holds
 * placeholders, never the values.
 */
export function traceStatement<T>(driver: "postgres" | "pglite", text: string | undefined, run: () => Promise<T>) {
  if (!recordingParent()) return run();
  const operation = text === undefined ? "TRANSACTION" : (FIRST_WORD.exec(text)?.[1]?.toUpperCase() ?? "SQL");
  const span = startSpan(operation, {
    kind: SpanKind.CLIENT,
    attributes: {
      "db.system.name": "postgresql",
      "db.operation.name": operation,
      "printfab.db.driver": driver,
      ...(text === undefined ? {} : { "db.query.text": text }),
    },
  });
  return inSpan(span, run);
}
