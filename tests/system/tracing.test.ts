import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SpanKind } from "@opentelemetry/api";
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-node";
import { seed } from "@printfab/launcher";
import { startTracing, type Tracing, tracingActive } from "@printfab/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSystem, type TestSystem } from "../support/test-system.ts";
import { until } from "../support/waiting.ts";

const idOf = (s: ReadableSpan) => s.spanContext().spanId;
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
const nanos = (s: ReadableSpan) => s.startTime[0] * 1e9 + s.startTime[1];
const childrenOf = (spans: ReadableSpan[], parent: ReadableSpan) =>
  spans.filter((s) => parentOf(s) === idOf(parent)).sort((a, b) => nanos(a) - nanos(b));
const SHOWN = /^(cache\.(?!name|key)|printfab\.service|db\.system\.name|http\.response\.status_code)/;

/** The spans under `root` as an indented tree (docs/tracing.md shows one), for failure messages. */
function treeOf(spans: ReadableSpan[], root: ReadableSpan, depth = 0): string {
  const attrs = Object.entries(root.attributes).filter(([k]) => SHOWN.test(k));
  const events = root.events.map((e) => ` +${e.name}(${e.attributes?.["cache.name"]} ${e.attributes?.["cache.tier"]})`);
  const line = `${"  ".repeat(depth)}${root.name} (${SpanKind[root.kind]}) ${attrs.map(([k, v]) => `${k}=${v}`).join(" ")}${events.join("")}`;
  return [line, ...childrenOf(spans, root).map((c) => treeOf(spans, c, depth + 1))].join("\n");
}

/** Every span below `ancestor`, at any depth. */
function below(spans: ReadableSpan[], ancestor: ReadableSpan): ReadableSpan[] {
  const found = childrenOf(spans, ancestor);
  return [...found, ...found.flatMap((c) => below(spans, c))];
}

const ofDb = (system: string) => (s: ReadableSpan) => s.attributes["db.system.name"] === system;

describe("one order through the Shop and MES, traced in memory", () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing | undefined;
  let sys: TestSystem;

  beforeAll(async () => {
    tracing = startTracing(
      { mode: "on", endpoint: undefined, serviceName: "printfab" },
      { spanProcessors: [new SimpleSpanProcessor(exporter)] },
    );
    sys = await startTestSystem({ cache: "redis", env: { TRACING: "on" } });
    await seed(sys.db, { products: 5, customers: 2, orders: 0 });
  });
  afterAll(async () => {
    await sys?.stop();
    await tracing?.shutdown();
  });

  const finished = () => exporter.getFinishedSpans();
  const servers = (service: string, name: string) =>
    finished().filter(
      (s) => s.kind === SpanKind.SERVER && s.name === name && s.attributes["printfab.service"] === service,
    );
  /** The trace of the request's server span, once the spans of both services have ended. */
  async function traceOf(service: string, name: string, count = 1) {
    await until(() => servers(service, name).length >= count, 5000, `${count} span(s) ${name} of ${service}`);
    const root = servers(service, name)[count - 1] as ReadableSpan;
    const spans = () => finished().filter((s) => s.spanContext().traceId === root.spanContext().traceId);
    // MES answers before its server span ends: wait for every span the root's children started.
    await until(
      () => spans().every((s) => !parentOf(s) || spans().some((p) => idOf(p) === parentOf(s))),
      5000,
      "trace",
    );
    return { root, spans: spans() };
  }
  const customer = () => sys.token("customer", "2");

  it("places an order: the Shop's request is the root, MES's the child of the Shop's call, each with its statements", async () => {
    const res = await sys.call(`${sys.urls.shop}/orders`, {
      method: "POST",
      token: customer(),
      body: { items: [{ productId: 1, quantity: 2 }] },
    });
    expect(res.status).toBe(201);
    const { root: shop, spans } = await traceOf("shop", "POST /orders");
    await until(() => servers("mes", "POST /orders").length === 1, 5000, "MES's span");
    const tree = treeOf(finished(), shop);
    expect(parentOf(shop), tree).toBeUndefined();
    expect(shop.attributes).toMatchObject({ "http.route": "/orders", "http.response.status_code": 201 });

    const client = below(spans, shop).find((s) => s.kind === SpanKind.CLIENT && s.name === "POST MES");
    const mes = servers("mes", "POST /orders")[0] as ReadableSpan;
    expect(client, tree).toBeDefined();
    expect(parentOf(mes), tree).toBe(idOf(client as ReadableSpan));
    expect(mes.parentSpanContext?.isRemote, "linked through the traceparent header").toBe(true);
    expect(mes.spanContext().traceId).toBe(shop.spanContext().traceId);

    // The Shop prices the order from its own table; MES writes it in a transaction and invalidates its key.
    const shopSql = childrenOf(spans, shop).filter(ofDb("postgresql"));
    expect(shopSql.map((s) => s.attributes["db.query.text"]).join(" "), tree).toContain("shop.products");
    const insideMes = below(spans, mes);
    const tx = insideMes.find((s) => s.name === "TRANSACTION") as ReadableSpan;
    expect(tx, tree).toBeDefined();
    const inserts = childrenOf(spans, tx).map((s) => `${s.name} ${s.attributes["db.query.text"]}`);
    expect(inserts.join("\n"), tree).toContain("INSERT INTO mes.orders");
    expect(insideMes.filter(ofDb("redis")).length, tree).toBeGreaterThan(0);
    expect(
      below(spans, shop)
        .filter(ofDb("redis"))
        .every((s) => insideMes.includes(s)),
      tree,
    ).toBe(true);
  });

  it("reads the order through the Shop's cache: a miss loads it from MES under the lookup, then an L2 hit", async () => {
    expect((await sys.call(`${sys.urls.shop}/orders/1`, { token: customer() })).status).toBe(200);
    const miss = await traceOf("shop", "GET /orders/:id");
    const tree = treeOf(miss.spans, miss.root);
    const lookup = childrenOf(miss.spans, miss.root).find((s) => s.name === "cache.get shop_orders") as ReadableSpan;
    expect(lookup?.attributes, tree).toMatchObject({
      "cache.key": "order:1",
      "cache.outcome": "miss",
      "cache.hit": false,
      "cache.load": true,
      "cache.collapsed": false,
      "cache.stored": true,
    });
    expect(childrenOf(miss.spans, lookup).filter(ofDb("redis")).length, tree).toBeGreaterThan(0);
    const load = childrenOf(miss.spans, lookup).find((s) => s.name === "cache.load shop_orders") as ReadableSpan;
    const client = childrenOf(miss.spans, load ?? lookup).find((s) => s.name === "GET MES") as ReadableSpan;
    expect(client, tree).toBeDefined();
    const mes = childrenOf(miss.spans, client)[0] as ReadableSpan;
    expect(mes.attributes, tree).toMatchObject({ "printfab.service": "mes", "http.route": "/orders/:id" });
    expect(childrenOf(miss.spans, mes).filter(ofDb("postgresql")).length, tree).toBeGreaterThan(0);

    expect((await sys.call(`${sys.urls.shop}/orders/1`, { token: customer() })).status).toBe(200);
    const hit = await traceOf("shop", "GET /orders/:id", 2);
    const hitTree = treeOf(hit.spans, hit.root);
    const [again] = childrenOf(hit.spans, hit.root);
    expect(again?.attributes, hitTree).toMatchObject({
      "cache.outcome": "hit",
      "cache.tier": "l2",
      "cache.load": false,
    });
    expect(
      hit.spans.some((s) => s.name.startsWith("cache.load") || (s.kind === SpanKind.SERVER && s !== hit.root)),
    ).toBe(false);
  });

  it("marks a catalogue page loaded once, then served from L1: an attribute of the request's span, no Redis command", async () => {
    await sys.call(`${sys.urls.shop}/products/2`);
    await sys.call(`${sys.urls.shop}/products/2`);
    const first = await traceOf("shop", "GET /products/:id", 1);
    const second = await traceOf("shop", "GET /products/:id", 2);
    const [miss] = childrenOf(first.spans, first.root);

    expect(miss?.attributes).toMatchObject({
      "cache.name": "shop_catalogue",
      "cache.outcome": "miss",
      "cache.load": true,
    });
    const load = childrenOf(first.spans, miss as ReadableSpan).find((s) => s.name === "cache.load shop_catalogue");
    expect(childrenOf(first.spans, load as ReadableSpan).filter(ofDb("postgresql")).length).toBe(1);
    expect(second.root.attributes["cache.l1"]).toBe("shop_catalogue");
    expect(second.spans, treeOf(second.spans, second.root)).toEqual([second.root]);
  });

  it("continues a caller's trace from its traceparent header, and starts a trace of its own without one", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const callerSpan = "00f067aa0ba902b7";
    const token = sys.token("operator");
    await sys.call(`${sys.urls.mes}/orders/1`, { token, headers: { traceparent: `00-${traceId}-${callerSpan}-01` } });
    await sys.call(`${sys.urls.mes}/orders/1`, { token });
    await until(() => servers("mes", "GET /orders/:id").length >= 3, 5000, "MES's spans");
    const [, joined, own] = servers("mes", "GET /orders/:id") as ReadableSpan[];
    expect(joined?.spanContext().traceId).toBe(traceId);
    expect(parentOf(joined as ReadableSpan)).toBe(callerSpan);
    expect(own?.spanContext().traceId).not.toBe(traceId);
    expect(parentOf(own as ReadableSpan)).toBeUndefined();
  });
});

/** A stand-in OTLP/HTTP collector on loopback: it keeps what it is sent. */
async function startCollector() {
  const received: Array<{ method?: string; url?: string; type?: string; body: string }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({
        method: req.method,
        url: req.url,
        type: req.headers["content-type"],
        body: `${Buffer.concat(chunks)}`,
      });
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, received, close: () => new Promise((resolve) => server.close(resolve)) };
}

interface OtlpExport {
  resourceSpans: Array<{
    resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans: Array<{ spans: Array<{ name: string }> }>;
  }>;
}

describe("export by OTLP, as the settings say", () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  beforeAll(async () => {
    collector = await startCollector();
  });
  afterAll(() => collector?.close());

  /** A test system under `env`, one catalogue request through it, then stopped; whether it traced. */
  async function oneRequest(env: Record<string, string>): Promise<boolean> {
    const sys = await startTestSystem({ env });
    try {
      expect((await sys.call(`${sys.urls.shop}/products?limit=1`)).status).toBe(200);
      return tracingActive();
    } finally {
      await sys.stop();
    }
  }

  it("sends the spans to OTEL_EXPORTER_OTLP_ENDPOINT under OTEL_SERVICE_NAME, flushed when the system stops", async () => {
    const traced = await oneRequest({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: "pf-traced" });
    expect(traced).toBe(true);
    expect(tracingActive(), "stopping the system stops the SDK it started").toBe(false);
    expect(collector.received.length).toBeGreaterThan(0);
    const [sent] = collector.received;
    expect(sent).toMatchObject({ method: "POST", url: "/v1/traces", type: "application/json" });
    const batches = collector.received.flatMap((r) => (JSON.parse(r.body) as OtlpExport).resourceSpans);
    const names = batches.map((b) => b.resource.attributes.find((a) => a.key === "service.name")?.value.stringValue);
    expect(new Set(names)).toEqual(new Set(["pf-traced"]));
    const spans = batches.flatMap((b) => b.scopeSpans.flatMap((s) => s.spans.map((x) => x.name)));
    expect(spans).toContain("GET /products");
  });

  it("starts nothing without an endpoint (auto), nor with TRACING=off even when an endpoint is set", async () => {
    collector.received.length = 0;
    expect(await oneRequest({})).toBe(false);
    expect(await oneRequest({ TRACING: "off", OTEL_EXPORTER_OTLP_ENDPOINT: collector.url })).toBe(false);
    expect(collector.received).toEqual([]);
  });
});
