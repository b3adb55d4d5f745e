import type { AddressInfo } from "node:net";
import { SseClient } from "@printfab/testkit";
import { Registry } from "prom-client";
import { Type } from "typebox";
import { afterEach, describe, expect, it } from "vitest";
import { type Channel, createCacheFactory } from "../src/cache-factory.ts";
import { loadConfig } from "../src/config.ts";
import {
  EVENT_STREAM_DEFAULTS,
  type EventStream,
  type EventStreamOptions,
  EventStreams,
  formatEvent,
} from "../src/event-stream.ts";
import { openStreamHub, RecentSeqs, StreamHub } from "../src/event-stream-hub.ts";
import { openReplayedStream, type Replay } from "../src/event-stream-replay.ts";
import { createHttpApp, type HttpApp } from "../src/http-app.ts";
import { createLogger } from "../src/logger.ts";

/** The SSE plumbing on a real HTTP server: framing, heartbeat, backpressure, limits, shutdown, replay. */
const logger = createLogger("silent");
const Note = Type.Object({ seq: Type.Integer(), topic: Type.String(), text: Type.String() });
type Note = { seq: number; topic: string; text: string };

interface Harness {
  app: HttpApp;
  url: string;
  streams: EventStreams;
  /** The server side of each stream opened on /raw, in order. */
  opened: EventStream[];
  tick: () => void;
  heartbeatMs: number;
  channel: Channel;
  hub: StreamHub<typeof Note>;
  /** What /replay answers next. */
  replay: (topic: string | undefined) => Promise<Replay<Note>>;
}

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.app.close();
});

async function harness(options: EventStreamOptions = {}): Promise<Harness> {
  const app = await createHttpApp({ service: "test", description: "event streams under test", logger });
  const caches = await createCacheFactory(loadConfig({ CACHE: "off" }), logger, { registry: new Registry() });
  app.addHook("onClose", () => caches.close());
  const h = { app, opened: [] as EventStream[], tick: () => {}, heartbeatMs: 0 } as unknown as Harness;
  h.streams = new EventStreams(app, {
    ...options,
    every: (ms, tick) => {
      h.heartbeatMs = ms;
      h.tick = tick;
      return () => {};
    },
  });
  h.channel = caches.channel("notes");
  h.hub = new StreamHub(h.channel, Note, (n) => n.topic);
  await h.hub.start();
  h.replay = async () => ({ events: [] });
  // The principal a stream counts against comes from a header here (requireRole sets it in the services).
  app.addHook("onRequest", async (request) => {
    request.principal = { role: "customer", sub: String(request.headers["x-user"] ?? "1") };
    if (request.headers["x-expires"]) request.principalExpiresAt = Number(request.headers["x-expires"]);
  });
  app.get("/raw", (request, reply) => {
    const slot = h.streams.reserve(`${request.principal?.role}:${request.principal?.sub}`);
    h.opened.push(slot.open(reply));
  });
  app.get("/replay", (request, reply) => {
    const { topic, after } = request.query as { topic?: string; after?: string };
    return openReplayedStream(request, reply, {
      streams: h.streams,
      hub: h.hub,
      topic,
      ordered: topic !== undefined,
      after: after === undefined ? undefined : Number(after),
      format: (n) => ({ event: "note", data: n.text }),
      replay: () => h.replay(topic),
    });
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  h.url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  harnesses.push(h);
  return h;
}

const until = async (cond: () => boolean, what: string, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};
const publish = (h: Harness, n: Note) => h.channel.publish(JSON.stringify(n));

describe("formatEvent", () => {
  it("frames id, event and data, one data line per line of the payload", () => {
    expect(formatEvent({ id: 7, event: "status", data: '{"a":1}' })).toBe('id: 7\nevent: status\ndata: {"a":1}\n\n');
    expect(formatEvent({ data: "one\ntwo\r\nthree" })).toBe("data: one\ndata: two\ndata: three\n\n");
    expect(formatEvent({ id: 3 })).toBe("id: 3\n\n");
  });

  it("refuses an id or event name that would break the framing", () => {
    expect(() => formatEvent({ id: "1\ndata: forged" })).toThrow(/one line/);
    expect(() => formatEvent({ event: "a\rb" })).toThrow(/one line/);
  });
});

describe("EventStreams", () => {
  it("answers text/event-stream, uncached and unbuffered, with retry first, then the events", async () => {
    const h = await harness();
    const c = await SseClient.open(`${h.url}/raw`);
    expect(c.status).toBe(200);
    expect(c.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    expect(c.headers["cache-control"]).toBe("no-store");
    expect(c.headers["x-accel-buffering"]).toBe("no");
    await until(() => c.retry !== undefined, "retry");
    expect(c.retry).toBe(EVENT_STREAM_DEFAULTS.retryMs);
    h.opened[0]?.send({ id: 1, event: "status", data: "x" });
    await c.until(() => c.events.length === 1);
    expect(c.events).toEqual([{ id: "1", event: "status", data: "x" }]);
    c.close();
  });

  it("sends a heartbeat comment to every open stream on each tick of its interval (15 s by default)", async () => {
    const h = await harness();
    expect(h.heartbeatMs).toBe(15_000);
    const [a, b] = [await SseClient.open(`${h.url}/raw`), await SseClient.open(`${h.url}/raw`)];
    await until(() => h.opened.length === 2, "two streams");
    expect(a.comments).toEqual([]);
    h.tick();
    h.tick();
    await a.until(() => a.comments.length === 2);
    await b.until(() => b.comments.length === 2);
    expect(a.comments).toEqual(["ping", "ping"]);
    expect(a.events).toEqual([]);
    a.close();
    b.close();
    const custom = await harness({ heartbeatMs: 2500 });
    expect(custom.heartbeatMs).toBe(2500);
  });

  it("drops a client that stops reading once its unsent bytes pass the bound, and keeps the others", async () => {
    const h = await harness({ maxBufferedBytes: 64 * 1024 });
    const slow = await SseClient.open(`${h.url}/raw`, { "x-user": "slow" });
    const fast = await SseClient.open(`${h.url}/raw`, { "x-user": "fast" });
    await until(() => h.opened.length === 2, "two streams");
    slow.pause();
    const [slowStream, fastStream] = h.opened as [EventStream, EventStream];
    const data = "x".repeat(16 * 1024);
    let sent = 0;
    // The kernel's socket buffers take some megabytes first; after them, the 64 KiB bound. Never unbounded.
    while (slowStream.send({ data }) && sent < 10_000) {
      sent++;
      fastStream.send({ id: sent, data: "small" });
      if (sent % 50 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    expect(slowStream.closed).toBe(true);
    expect(sent).toBeLessThan(10_000);
    expect(h.streams.size).toBe(1);
    await fast.until(() => fast.events.length === sent, 5000, "the fast reader's events");
    expect(fastStream.closed).toBe(false);
    fast.close();
    slow.close();
  });

  it("refuses a stream past the cap per principal (429) and per app (503), and frees places on close", async () => {
    const h = await harness({ maxStreams: 3, maxStreamsPerPrincipal: 2 });
    const a1 = await SseClient.open(`${h.url}/raw`, { "x-user": "a" });
    const a2 = await SseClient.open(`${h.url}/raw`, { "x-user": "a" });
    const a3 = await SseClient.open(`${h.url}/raw`, { "x-user": "a" });
    expect([a1.status, a2.status, a3.status]).toEqual([200, 200, 429]);
    await a3.ended;
    expect(JSON.parse(a3.body)).toEqual({ error: { code: "too_many_streams", message: expect.any(String) } });
    expect(a3.headers["retry-after"]).toBe("2");
    const b1 = await SseClient.open(`${h.url}/raw`, { "x-user": "b" });
    const b2 = await SseClient.open(`${h.url}/raw`, { "x-user": "b" });
    expect([b1.status, b2.status]).toEqual([200, 503]);
    await b2.ended;
    expect(JSON.parse(b2.body).error.code).toBe("too_many_streams");
    expect(h.streams.size).toBe(3);
    a1.close();
    await until(() => h.streams.size === 2, "a place freed by a client that left");
    const a4 = await SseClient.open(`${h.url}/raw`, { "x-user": "a" });
    expect(a4.status).toBe(200);
    for (const c of [a2, b1, a4]) c.close();
  });

  it("ends every open stream when the app closes, so the close does not wait on them", async () => {
    const h = await harness();
    const clients = await Promise.all([1, 2, 3].map(() => SseClient.open(`${h.url}/raw`)));
    await until(() => h.opened.length === 3, "three streams");
    harnesses.splice(harnesses.indexOf(h), 1);
    await h.app.close();
    await Promise.all(clients.map((c) => c.ended));
    expect(h.opened.every((s) => s.closed)).toBe(true);
    expect(h.streams.size).toBe(0);
  });
});

describe("StreamHub", () => {
  it("routes by topic, passes each seq once, and ignores what is not an event", async () => {
    const h = await harness();
    const [one, all]: [Note[], Note[]] = [[], []];
    h.hub.subscribe("1", { event: (n) => one.push(n), down: () => {} });
    h.hub.subscribe(undefined, { event: (n) => all.push(n), down: () => {} });
    await publish(h, { seq: 1, topic: "1", text: "a" });
    await publish(h, { seq: 1, topic: "1", text: "a, again (fast path and relay)" });
    await publish(h, { seq: 2, topic: "2", text: "b" });
    await h.channel.publish("not json");
    await h.channel.publish(JSON.stringify({ seq: "3", topic: "1" }));
    await until(() => all.length === 2, "two events");
    expect(one.map((n) => n.seq)).toEqual([1]);
    expect(all.map((n) => n.seq)).toEqual([1, 2]);
  });

  it("RecentSeqs forgets the oldest past its capacity", () => {
    const seqs = new RecentSeqs(2);
    expect([seqs.add(1), seqs.add(1), seqs.add(2), seqs.add(3)]).toEqual([true, false, true, true]);
    expect([seqs.has(1), seqs.has(2), seqs.has(3)]).toEqual([false, true, true]);
  });
});

describe("openReplayedStream", () => {
  it("subscribes before reading the replay: a change racing the replay arrives once, after it", async () => {
    const h = await harness();
    h.replay = async () => {
      // A change commits and is pushed while the replay is being read, and the replay already shows it.
      await publish(h, { seq: 5, topic: "t", text: "racing" });
      await new Promise((r) => setTimeout(r, 20));
      return {
        events: [
          { seq: 4, topic: "t", text: "old" },
          { seq: 5, topic: "t", text: "racing" },
        ],
      };
    };
    const c = await SseClient.open(`${h.url}/replay?topic=t&after=3`);
    await c.until(() => c.dispatched().length === 2);
    await publish(h, { seq: 6, topic: "t", text: "live" });
    await publish(h, { seq: 2, topic: "t", text: "below Last-Event-ID" });
    await c.until(() => c.dispatched().length === 3);
    expect(c.dispatched()).toEqual([
      { id: "4", event: "note", data: "old" },
      { id: "5", event: "note", data: "racing" },
      { id: "6", event: "note", data: "live" },
    ]);
    c.close();
  });

  it("a first connection gets the head as a bare id; too many missed gets a reset", async () => {
    const h = await harness();
    h.replay = async () => ({ events: [], head: 42 });
    const first = await SseClient.open(`${h.url}/replay`);
    await first.until(() => first.events.length === 1);
    expect(first.events).toEqual([{ id: "42" }]);
    h.replay = async () => ({ events: [], head: 99, reset: true });
    const behind = await SseClient.open(`${h.url}/replay`);
    await behind.until(() => behind.events.length === 1);
    expect(behind.events).toEqual([{ id: "99", event: "reset", data: '{"seq":99}' }]);
    first.close();
    behind.close();
  });

  it("a failed replay is the request's error, and frees its place", async () => {
    const h = await harness({ maxStreamsPerPrincipal: 1 });
    h.replay = async () => {
      throw Object.assign(new Error("gone"), { statusCode: 404 });
    };
    const c = await SseClient.open(`${h.url}/replay`);
    expect(c.status).toBe(404);
    h.replay = async () => ({ events: [] });
    const next = await SseClient.open(`${h.url}/replay`);
    expect(next.status).toBe(200);
    next.close();
  });

  it("ends the stream when the channel goes down; while it is down, sends the replay and ends", async () => {
    const h = await harness();
    const live = await SseClient.open(`${h.url}/replay`);
    await until(() => h.streams.size === 1, "open");
    h.hub.close();
    await live.ended;
    h.replay = async () => ({ events: [{ seq: 9, topic: "t", text: "missed" }] });
    const again = await SseClient.open(`${h.url}/replay`);
    await again.ended;
    expect(again.dispatched()).toEqual([{ id: "9", event: "note", data: "missed" }]);
    // Told to come back in 15 to 30 s rather than every 2 s while the channel is down.
    const retry = again.retry ?? 0;
    expect(retry).toBeGreaterThanOrEqual(15_000);
    expect(retry).toBeLessThan(30_000);
    expect(h.streams.size).toBe(0);
  });

  it("frees the place of a client that left while its replay was being read", async () => {
    const h = await harness({ maxStreamsPerPrincipal: 1 });
    let replayed: () => void = () => {};
    h.replay = () => new Promise((resolve) => (replayed = () => resolve({ events: [] })));
    const { request } = await import("node:http");
    const gone = request(`${h.url}/replay`);
    gone.on("error", () => {});
    gone.end();
    await until(() => h.streams.size === 1, "the place taken");
    gone.destroy();
    await new Promise((r) => setTimeout(r, 50));
    replayed();
    await until(() => h.streams.size === 0, "the place given back");
    h.replay = async () => ({ events: [] });
    const next = await SseClient.open(`${h.url}/replay`);
    expect(next.status).toBe(200);
    next.close();
  });

  it("ends a stream on the first beat after its credentials expired", async () => {
    const h = await harness();
    const past = await SseClient.open(`${h.url}/raw`, { "x-expires": String(Math.floor(Date.now() / 1000) - 1) });
    const future = await SseClient.open(`${h.url}/raw`, { "x-expires": String(Math.floor(Date.now() / 1000) + 3600) });
    await until(() => h.streams.size === 2, "both open");
    h.tick();
    await past.ended;
    await until(() => h.streams.size === 1, "the expired one closed");
    await until(() => future.comments.length > 0, "the ping to the live one");
    future.close();
  });

  it("openStreamHub joins the channel, and leaves it when the app closes", async () => {
    const app = await createHttpApp({ service: "test", description: "hub lifecycle", logger });
    const caches = await createCacheFactory(loadConfig({ CACHE: "off" }), logger, { registry: new Registry() });
    const channel = caches.channel("hub-lifecycle");
    const hub = await openStreamHub(app, channel, Note, (n) => n.topic);
    expect(hub.up).toBe(true);
    await app.close();
    expect(hub.up).toBe(false);
    await caches.close();
  });
});
