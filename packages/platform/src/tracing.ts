import { context, propagation, trace } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, NodeTracerProvider, type SpanProcessor } from "@opentelemetry/sdk-trace-node";
import { traceRedisCommands } from "./tracing-redis.ts";

/** TRACING, OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_SERVICE_NAME, as the configuration reads them. */
export interface TracingSettings {
  /** `auto`: traced only when there is an endpoint; `on`: traced even with nowhere to send the spans. */
  mode: "auto" | "on" | "off";
  /** An OTLP/HTTP collector's base URL: spans are POSTed to `<endpoint>/v1/traces`. */
  endpoint: string | undefined;
  serviceName: string;
}

/** The process's running OpenTelemetry SDK. */
export interface Tracing {
  readonly exporting: boolean;
  /** Sends what is still buffered, stops the SDK and leaves the API a no-op again. */
  shutdown(): Promise<void>;
}

let running: Tracing | undefined;

/** Whether this process traces: decides, when an app is made, if it gets the request span hooks at all. */
export const tracingActive = (): boolean => running !== undefined;

/** Whether the settings ask for an SDK: `on`, or `auto` with an endpoint to export to. */
export const tracingWanted = (s: TracingSettings): boolean => s.mode === "on" || (s.mode === "auto" && !!s.endpoint);

/** The signal URL of an OTLP base endpoint, as the OTLP spec derives it from OTEL_EXPORTER_OTLP_ENDPOINT. */
export const otlpTracesUrl = (endpoint: string): string =>
  new URL("v1/traces", endpoint.endsWith("/") ? endpoint : `${endpoint}/`).href;

/**
 * Starts the SDK when the settings ask for it and none runs yet: there is one per process (the API's
 * globals), and whoever started it stops it; undefined otherwise. `spanProcessors` are added beside the
 * exporter's (a test's in-memory exporter). Nothing here patches modules: spans are made by our own
 * adapters and by ioredis's diagnostics channel, so the order of imports does not matter.
 */
export function startTracing(
  settings: TracingSettings,
  extra: { spanProcessors?: SpanProcessor[] } = {},
): Tracing | undefined {
  if (running || !tracingWanted(settings)) return undefined;
  const exporter = settings.endpoint ? new OTLPTraceExporter({ url: otlpTracesUrl(settings.endpoint) }) : undefined;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": settings.serviceName }),
    spanProcessors: [...(exporter ? [new BatchSpanProcessor(exporter)] : []), ...(extra.spanProcessors ?? [])],
  });
  provider.register();
  const stopRedis = traceRedisCommands();
  const tracing: Tracing = {
    exporting: exporter !== undefined,
    async shutdown() {
      if (running !== tracing) return;
      running = undefined;
      stopRedis();
      try {
        await provider.shutdown();
      } finally {
        trace.disable();
        context.disable();
        propagation.disable();
      }
    },
  };
  running = tracing;
  return tracing;
}
