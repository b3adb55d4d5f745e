import { type Context, context, type Span, type SpanOptions, SpanStatusCode, trace } from "@opentelemetry/api";

/**
 * Platform spans are children of a recording span or nothing: with no SDK started there is no context
 * manager, so this finds none and the callers build nothing (no span, no attributes). Background work
 * outside any request (heartbeats, the outbox relay) makes no root spans of its own either.
 */
export function recordingParent(): Span | undefined {
  const span = trace.getActiveSpan();
  return span?.isRecording() ? span : undefined;
}

/**
 * Starts a span under the active context, or under `parent` (a root in ROOT_CONTEXT). The tracer is looked up per span, not kept: a kept proxy tracer would
 * stay bound to the first SDK and record into it after a restart of tracing (tests start several).
 */
export function startSpan(name: string, options: SpanOptions, parent?: Context): Span {
  return trace.getTracer("@printfab/platform").startSpan(name, options, parent);
}

/** Runs `fn` with `span` as the active span, ending the span when its promise settles (ERROR if it rejects). */
export async function inSpan<T>(span: Span, fn: () => Promise<T>): Promise<T> {
  try {
    return await context.with(trace.setSpan(context.active(), span), fn);
  } catch (err) {
    failSpan(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/** Marks the span failed with the error's name and message (not its stack: spans are kept and shipped). */
export function failSpan(span: Span, err: unknown): void {
  const e = err instanceof Error ? err : new Error(String(err));
  span.recordException({ name: e.name, message: e.message });
  span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
}
