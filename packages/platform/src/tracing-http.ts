import { type Context, context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { HttpApp } from "./http-app.ts";
import { startSpan } from "./tracing-spans.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** The request's server span in its context (tracing on only): what the handler runs under. */
    traceContext?: Context;
  }
}

/**
 * A server span per request, named by method and route template, child of the caller's span when the
 * request carries W3C trace context. It starts before any guard runs (a refusal is traced too) and the
 * route's handler runs inside it, so the statements, cache lookups and calls it makes are its children.
 * The context is entered at preHandler rather than onRequest: the body is read in between, from stream
 * events that would not carry it. The span ends with the answer; a request whose client went away before
 * it was answered leaves none (an onRequestAbort hook would add a listener to every request).
 */
export function traceRequests(app: HttpApp, service: string): void {
  app.decorateRequest("traceContext", undefined);
  app.addHook("onRequest", (request, _reply, done) => {
    // W3C trace context or nothing: without its header there is nothing to extract, and no need to try.
    const parent = request.headers.traceparent ? propagation.extract(ROOT_CONTEXT, request.headers) : ROOT_CONTEXT;
    const attributes = { "http.request.method": request.method, "printfab.service": service };
    const span = startSpan(request.method, { kind: SpanKind.SERVER, attributes }, parent);
    request.traceContext = trace.setSpan(parent, span);
    done();
  });
  app.addHook("preHandler", (request, _reply, done) => {
    if (request.traceContext) context.with(request.traceContext, done);
    else done();
  });
  app.addHook("onResponse", (request, reply, done) => {
    const span = request.traceContext && trace.getSpan(request.traceContext);
    if (span) {
      const route = request.routeOptions.url;
      if (route) span.updateName(`${request.method} ${route}`).setAttribute("http.route", route);
      span.setAttribute("http.response.status_code", reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });
}
