import { context, type Span, SpanStatusCode, trace } from "@opentelemetry/api";
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type CacheBackend, createMemoryBackend } from "../src/backend.ts";
import type { Cache } from "../src/cache.ts";
import { MemoryL2Store } from "../src/memory-l2.ts";

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
beforeAll(() => provider.register());
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
});

const store = new MemoryL2Store();
const backends: CacheBackend[] = [];
let n = 0;
/** A cache over the shared in-process L2; `process` names a backend of its own, as another process would be. */
async function cacheOn(opts: { process?: number; enabled?: boolean; prefix?: string } = {}): Promise<Cache> {
  const backend = createMemoryBackend(store, { namespace: `p${opts.process ?? 0}` });
  backends.push(backend);
  return backend.createCache({ name: "parts", prefix: opts.prefix ?? `t${++n}`, enabled: opts.enabled });
}
afterEach(async () => {
  await Promise.all(backends.splice(0).map((b) => b.close()));
  exporter.reset();
});

/** Runs `fn` inside a request's span, as a traced route would, and returns the spans under it. */
async function traced(fn: () => Promise<unknown>): Promise<ReadableSpan[]> {
  await trace.getTracer("test").startActiveSpan("request", async (span: Span) => {
    try {
      await fn();
    } finally {
      span.end();
    }
  });
  return exporter.getFinishedSpans().filter((s) => s.name !== "request");
}
const lookups = (spans: ReadableSpan[]) => spans.filter((s) => s.name === "cache.get parts");
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

describe("cache spans", () => {
  it("records nothing for a lookup outside a traced operation", async () => {
    const cache = await cacheOn();
    await cache.getOrLoad("k", async () => 1);
    await cache.fetch("k", async () => 1);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it("says miss and load, then hit in L2 for another process; an L1 hit is an attribute of the enclosing span", async () => {
    const a = await cacheOn({ prefix: "shared" });
    const b = await cacheOn({ process: 1, prefix: "shared" });
    const spans = await traced(async () => {
      await a.getOrLoad("k", async () => "v");
      await a.getOrLoad("k", async () => "v");
      await a.fetch("k", async () => "v");
      await b.fetch("k", async () => "v");
    });
    const [miss, l2, ...more] = lookups(spans);
    expect(more).toEqual([]);
    expect(miss?.attributes).toMatchObject({
      "cache.key": "k",
      "cache.outcome": "miss",
      "cache.hit": false,
      "cache.load": true,
      "cache.stored": true,
    });
    expect(miss?.attributes["cache.tier"]).toBeUndefined();
    const request = exporter.getFinishedSpans().find((s) => s.name === "request");
    expect(request?.attributes["cache.l1"]).toBe("parts");
    expect(request?.events).toEqual([]);
    expect(l2?.attributes).toMatchObject({ "cache.outcome": "hit", "cache.tier": "l2", "cache.load": false });
    const loads = spans.filter((s) => s.name === "cache.load parts");
    expect(loads.length).toBe(1);
    expect(parentOf(loads[0] as ReadableSpan)).toBe(miss?.spanContext().spanId);
  });

  it("puts the loader's own spans under the load, and marks a lookup that waited on another's load collapsed", async () => {
    const cache = await cacheOn();
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const loader = async () => {
      trace.getTracer("test").startSpan("SELECT").end();
      await gate;
      return "v";
    };
    const spans = await traced(async () => {
      const both = Promise.all([cache.fetch("k", loader), cache.fetch("k", loader)]);
      release();
      await both;
    });
    const [loader1, waiter] = lookups(spans);
    expect(loader1?.attributes).toMatchObject({ "cache.load": true, "cache.collapsed": false });
    expect(waiter?.attributes).toMatchObject({ "cache.load": false, "cache.collapsed": true, "cache.outcome": "miss" });
    const load = spans.find((s) => s.name === "cache.load parts") as ReadableSpan;
    const select = spans.find((s) => s.name === "SELECT") as ReadableSpan;
    expect(parentOf(select)).toBe(load.spanContext().spanId);
  });

  it("says stale when a failed reload serves the old value, and fails the load's span", async () => {
    const cache = await cacheOn();
    await cache.getOrLoad("k", async () => "old", { ttl: 1, staleWindow: 60_000 });
    await new Promise((r) => setTimeout(r, 5));
    const spans = await traced(() =>
      cache.getOrLoad("k", async () => Promise.reject(new Error("database down")), { ttl: 1, staleWindow: 60_000 }),
    );
    const [lookup] = lookups(spans);
    expect(lookup?.attributes).toMatchObject({ "cache.outcome": "stale", "cache.stale": true, "cache.load": true });
    expect(lookup?.status.code).not.toBe(SpanStatusCode.ERROR);
    const load = spans.find((s) => s.name === "cache.load parts");
    expect(load?.status).toMatchObject({ code: SpanStatusCode.ERROR, message: "database down" });
  });

  it("fails the lookup's span when the loader's error reaches the caller", async () => {
    const cache = await cacheOn();
    const spans = await traced(() => cache.fetch("k", async () => Promise.reject(new Error("boom"))).catch(() => {}));
    expect(lookups(spans)[0]?.status).toMatchObject({ code: SpanStatusCode.ERROR, message: "boom" });
  });

  it("says bypass, with the load under it, when caching is off", async () => {
    const cache = await cacheOn({ enabled: false });
    const spans = await traced(() => cache.getOrLoad("k", async () => "v"));
    const [lookup] = lookups(spans);
    expect(lookup?.attributes).toMatchObject({ "cache.outcome": "bypass", "cache.load": true, "cache.hit": false });
    expect(spans.filter((s) => s.name === "cache.load parts").length).toBe(1);
  });
});
