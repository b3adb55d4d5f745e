import { context, propagation, SpanKind, trace } from "@opentelemetry/api";
import { inSpan, recordingParent, startSpan } from "./tracing-spans.ts";

/**
 * Runs a call to another service under a client span (when inside a traced operation), with the span's
 * W3C trace context written into `headers` (which `send` sends): the neighbour's server span becomes its
 * child. Untraced, it is `send()` and nothing else.
 */
export function traceNeighbourCall<R extends { status: number }>(
  neighbour: string,
  method: string,
  url: URL,
  headers: Record<string, string>,
  send: () => Promise<R>,
): Promise<R> {
  if (!recordingParent()) return send();
  const span = startSpan(`${method} ${neighbour}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      "http.request.method": method,
      "server.address": url.hostname,
      "server.port": Number(url.port) || (url.protocol === "https:" ? 443 : 80),
      "url.full": url.href,
      "printfab.neighbour": neighbour,
    },
  });
  propagation.inject(trace.setSpan(context.active(), span), headers);
  return inSpan(span, async () => {
    const answer = await send();
    span.setAttribute("http.response.status_code", answer.status);
    return answer;
  });
}
