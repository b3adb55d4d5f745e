import { SseClient, startFaultProxy, startRedisServer, TEST_REDIS_URL } from "@printfab/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSystem, type TestSystem } from "../support/test-system.ts";

/**
 * Order status by push, on the real services (PostgreSQL, Redis): MES's stream of every change and the
 * Shop's stream of one order, their replays, their guards, and the fan-out that costs no query per stream.
 */
let sys: TestSystem;
let operator: string;
const open: SseClient[] = [];

// On Redis even with caching off (TEST_CACHE=off): the channel then has a connection of its own.
const onRedis = { env: { REDIS_URL: TEST_REDIS_URL } };

beforeAll(async () => {
  sys = await startTestSystem(onRedis);
  operator = sys.token("operator", "op-1");
});
afterAll(async () => {
  for (const c of open.splice(0)) c.close();
  await sys.stop();
});

const mes = (path: string) => `${sys.urls.mes}${path}`;
const shop = (path: string) => `${sys.urls.shop}${path}`;
async function stream(url: string, token?: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const c = await SseClient.open(url, token ? { authorization: `Bearer ${token}`, ...headers } : headers);
  open.push(c);
  return c;
}
const item = { productId: 1, productName: "Gear", quantity: 1, unitPriceCents: 100 };
/** A new order of `customerId`, placed as the Shop does. */
async function place(customerId: number): Promise<number> {
  const res = await sys.call(mes("/orders"), {
    method: "POST",
    token: sys.token("service", "shop"),
    body: { customerId, items: [item] },
  });
  expect(res.status).toBe(201);
  return res.body.id;
}
const move = async (id: number, status: string) => {
  const res = await sys.call(mes(`/orders/${id}/status`), { method: "POST", token: operator, body: { status } });
  expect(res.status).toBe(200);
  return res.body;
};
const head = async () =>
  Number((await sys.db.query<{ head: number }>("SELECT max(id) AS head FROM mes.order_status_history"))[0]?.head);
const statuses = (c: SseClient) => c.dispatched("status").map((e) => JSON.parse(e.data as string));
const queries = async () =>
  (await Promise.all(["mes", "shop", "crm"].map((s) => sys.metrics.value("db_queries_total", { service: s })))).reduce(
    (a, b) => a + b,
  );

describe("MES GET /orders/lifecycle", () => {
  it("gives every status and its legal next steps to staff, and refuses others", async () => {
    for (const role of ["operator", "manager"] as const) {
      const res = await sys.call(mes("/orders/lifecycle"), { token: sys.token(role) });
      expect(res.status).toBe(200);
      expect(res.body.statuses).toEqual([
        "created",
        "approved",
        "printing",
        "post_processing",
        "packed",
        "shipped",
        "delivered",
        "cancelled",
      ]);
      expect(res.body.next).toMatchObject({
        created: ["approved", "cancelled"],
        shipped: ["delivered"],
        delivered: [],
      });
    }
    expect((await sys.call(mes("/orders/lifecycle"))).status).toBe(401);
    expect((await sys.call(mes("/orders/lifecycle"), { token: sys.token("customer", "1") })).status).toBe(403);
  });
});

describe("MES GET /orders/events", () => {
  it("pushes every change (placement included) to operators and managers, with seq as the event id", async () => {
    const [op, manager] = [
      await stream(mes("/orders/events"), operator),
      await stream(mes("/orders/events"), sys.token("manager")),
    ];
    expect([op.status, manager.status]).toEqual([200, 200]);
    expect(op.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    const id = await place(3);
    const order = await move(id, "approved");
    for (const c of [op, manager])
      await c.until(() => statuses(c).some((e) => e.orderId === id && e.status === "approved"));
    const mine = statuses(op).filter((e) => e.orderId === id);
    expect(mine).toEqual([
      { orderId: id, customerId: 3, status: "created", from: null, at: expect.any(String), seq: order.history[0].seq },
      {
        orderId: id,
        customerId: 3,
        status: "approved",
        from: "created",
        at: order.history[1].at,
        seq: order.history[1].seq,
      },
    ]);
    expect(
      op
        .dispatched("status")
        .filter((e) => JSON.parse(e.data as string).orderId === id)
        .map((e) => Number(e.id)),
    ).toEqual(mine.map((e) => e.seq));
  });

  it("replays the changes after Last-Event-ID (header or query), then goes live", async () => {
    const id = await place(4);
    const created = (await sys.call(mes(`/orders/${id}`), { token: operator })).body.history[0].seq as number;
    await move(id, "approved");
    await move(id, "printing");
    const byHeader = await stream(mes("/orders/events"), operator, { "last-event-id": String(created) });
    const byQuery = await stream(mes(`/orders/events?lastEventId=${created}`), operator);
    // After the changes it missed, a resumed stream also replays up to 64 before them (REPLAY_LOOKBACK):
    // pushes of different orders may cross, and the client drops, by seq per order, what it already has.
    const missed = (c: typeof byHeader) => statuses(c).filter((e) => e.seq > created);
    for (const c of [byHeader, byQuery]) {
      await c.until(() => missed(c).length >= 2);
      expect(missed(c).map((e) => [e.orderId, e.status])).toEqual([
        [id, "approved"],
        [id, "printing"],
      ]);
      expect(statuses(c).find((e) => e.seq === created)).toMatchObject({ orderId: id, status: "created" });
      expect(statuses(c).every((e) => e.seq >= created - 64)).toBe(true);
    }
    await move(id, "post_processing");
    await byHeader.until(() => missed(byHeader).length === 3);
    expect(missed(byHeader)[2]).toMatchObject({ orderId: id, status: "post_processing", from: "printing" });
  });

  it("tells a client that missed more than 1,000 changes to reload (event: reset), with the head as its id", async () => {
    const id = await place(5);
    const before = await head();
    await sys.db.query(
      `INSERT INTO mes.order_status_history (order_id, from_status, to_status, changed_by)
       SELECT $1, 'created', 'created', 'bulk' FROM generate_series(1, 1001)`,
      [id],
    );
    const newest = await head();
    const c = await stream(mes("/orders/events"), operator, { "last-event-id": String(before) });
    await c.until(() => c.events.length >= 1);
    expect(c.events[0]).toEqual({ id: String(newest), event: "reset", data: JSON.stringify({ seq: newest }) });
    expect(statuses(c)).toEqual([]);
    // Exactly 1,000 missed is still a replay.
    const exact = await stream(mes("/orders/events"), operator, { "last-event-id": String(newest - 1000) });
    await exact.until(() => statuses(exact).filter((e) => e.seq > newest - 1000).length === 1000);
    expect(exact.dispatched("reset")).toEqual([]);
  });

  it("a first connection gets the newest seq as a bare id, so its reconnection resumes from there", async () => {
    const newest = await head();
    const c = await stream(mes("/orders/events"), operator);
    await c.until(() => c.events.length >= 1);
    expect(c.events[0]).toEqual({ id: String(newest) });
  });

  it("refuses other roles, no token, and a bad Last-Event-ID or query", async () => {
    const refused = async (url: string, token: string | undefined, status: number, headers = {}) => {
      const c = await stream(url, token, headers);
      expect(c.status, url).toBe(status);
      await c.ended;
      expect(JSON.parse(c.body).error.code).toEqual(expect.any(String));
    };
    await refused(mes("/orders/events"), undefined, 401);
    await refused(mes("/orders/events"), sys.token("customer", "1"), 403);
    await refused(mes("/orders/events"), sys.token("service", "shop"), 403);
    await refused(mes("/orders/events"), operator, 400, { "last-event-id": "abc" });
    await refused(mes("/orders/events"), operator, 400, { "last-event-id": "-1" });
    await refused(mes("/orders/events?lastEventId=-1"), operator, 400);
    await refused(mes("/orders/events?lastEventId=x"), operator, 400);
    await refused(mes("/orders/events?color=red"), operator, 400);
  });
});

describe("Shop GET /orders", () => {
  it("lists the customer's own orders, newest first, paged", async () => {
    const ids = [await place(21), await place(22), await place(21), await place(21)];
    const token = sys.token("customer", "21");
    const page = await sys.call(shop("/orders?limit=2"), { token });
    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toBe("private, no-store");
    expect(page.body).toMatchObject({ total: 3, limit: 2, offset: 0 });
    expect(page.body.items.map((o: { id: number }) => o.id)).toEqual([ids[3], ids[2]]);
    const next = await sys.call(shop("/orders?limit=2&offset=2"), { token });
    expect(next.body.items.map((o: { id: number }) => o.id)).toEqual([ids[0]]);
    const none = await sys.call(shop("/orders"), { token: sys.token("customer", "23") });
    expect(none.body).toEqual({ items: [], total: 0, limit: 20, offset: 0 });
  });

  it("refuses bad paging, no token and other roles", async () => {
    const token = sys.token("customer", "21");
    expect((await sys.call(shop("/orders?limit=0"), { token })).status).toBe(400);
    expect((await sys.call(shop("/orders?limit=101"), { token })).status).toBe(400);
    expect((await sys.call(shop("/orders?customerId=22"), { token })).status).toBe(400);
    expect((await sys.call(shop("/orders"))).status).toBe(401);
    for (const role of ["operator", "manager"] as const) {
      expect((await sys.call(shop("/orders"), { token: sys.token(role) })).status).toBe(403);
    }
  });
});

describe("Shop GET /orders/:id/events", () => {
  it("sends the order's history, then its changes as they happen, to its customer", async () => {
    const id = await place(31);
    await move(id, "approved");
    const c = await stream(shop(`/orders/${id}/events`), sys.token("customer", "31"));
    expect(c.status).toBe(200);
    expect(c.headers["cache-control"]).toBe("no-store");
    await c.until(() => statuses(c).length === 2);
    await move(id, "printing");
    await c.until(() => statuses(c).length === 3);
    const order = (await sys.call(shop(`/orders/${id}`), { token: sys.token("customer", "31") })).body;
    expect(statuses(c)).toEqual(
      order.history.map((h: { from: string; to: string; at: string; seq: number }) => ({
        orderId: id,
        customerId: 31,
        status: h.to,
        from: h.from,
        at: h.at,
        seq: h.seq,
      })),
    );
    expect(c.dispatched("status").map((e) => Number(e.id))).toEqual(order.history.map((h: { seq: number }) => h.seq));
  });

  it("replays only what came after Last-Event-ID", async () => {
    const id = await place(32);
    const first = await move(id, "approved");
    await move(id, "printing");
    const c = await stream(shop(`/orders/${id}/events`), sys.token("customer", "32"), {
      "last-event-id": String(first.history[1].seq),
    });
    await c.until(() => statuses(c).length === 1);
    await move(id, "post_processing");
    await c.until(() => statuses(c).length === 2);
    expect(statuses(c).map((e) => e.status)).toEqual(["printing", "post_processing"]);
  });

  it("answers another customer's order exactly as a missing one, and refuses bad ids and other roles", async () => {
    const id = await place(33);
    const other = await stream(shop(`/orders/${id}/events`), sys.token("customer", "34"));
    const missing = await stream(shop("/orders/999999999/events"), sys.token("customer", "34"));
    await Promise.all([other.ended, missing.ended]);
    expect([other.status, missing.status]).toEqual([404, 404]);
    expect(JSON.parse(other.body).error.code).toBe("not_found");
    expect(JSON.parse(other.body).error.message).toBe(`order ${id} not found`);
    for (const [url, token, status] of [
      [shop(`/orders/${id}/events`), undefined, 401],
      [shop(`/orders/${id}/events`), sys.token("manager"), 403],
      [shop(`/orders/${id}/events`), operator, 403],
      [shop("/orders/abc/events"), sys.token("customer", "33"), 400],
      [shop(`/orders/${id}/events?lastEventId=-5`), sys.token("customer", "33"), 400],
    ] as const) {
      const c = await stream(url, token);
      expect(c.status, url).toBe(status);
      await c.ended;
    }
  });

  it("caps the streams one customer may hold (429)", async () => {
    const id = await place(35);
    const token = sys.token("customer", "35");
    const held = await Promise.all(Array.from({ length: 16 }, () => stream(shop(`/orders/${id}/events`), token)));
    expect(held.every((c) => c.status === 200)).toBe(true);
    const over = await stream(shop(`/orders/${id}/events`), token);
    expect(over.status).toBe(429);
    for (const c of held) c.close();
  });
});

describe("fan-out", () => {
  it("costs the same DB queries per change with 200 open streams as with one", async () => {
    /** Streams of `customers` customers, `perCustomer` each on their order; one change of each order. */
    const round = async (customers: number[], perCustomer: number) => {
      const orders = await Promise.all(customers.map((c) => place(c)));
      const clients = (
        await Promise.all(
          customers.map((c, i) =>
            Promise.all(
              Array.from({ length: perCustomer }, () =>
                stream(shop(`/orders/${orders[i]}/events`), sys.token("customer", String(c))),
              ),
            ),
          ),
        )
      ).flat();
      const staff = await Promise.all(
        Array.from({ length: perCustomer * customers.length }, (_, i) =>
          stream(mes("/orders/events"), sys.token("operator", `op-${i}`)),
        ),
      );
      for (const c of clients) await c.until(() => statuses(c).length === 1);
      const before = await queries();
      for (const id of orders) await move(id, "approved");
      for (const c of clients) await c.until(() => statuses(c).length === 2, 10_000);
      for (const c of staff)
        await c.until(() => statuses(c).filter((e) => e.status === "approved").length === orders.length, 10_000);
      const perChange = ((await queries()) - before) / orders.length;
      for (const c of [...clients, ...staff]) c.close();
      return perChange;
    };
    const one = await round([41], 1);
    const many = await round([51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70], 10);
    expect(one).toBeGreaterThan(0);
    expect(many).toBe(one);
  });
});

describe("across processes", () => {
  it("a change made on MES in one system reaches a stream on a Shop of another that shares its Redis", async () => {
    const other = await startTestSystem({ ...onRedis, mesUrl: sys.urls.mes, cacheNamespace: sys.cacheNamespace });
    try {
      const id = await place(71);
      const c = await SseClient.open(`${other.urls.shop}/orders/${id}/events`, {
        authorization: `Bearer ${other.token("customer", "71")}`,
      });
      await c.until(() => statuses(c).length === 1);
      await move(id, "approved");
      await c.until(() => statuses(c).length === 2);
      expect(statuses(c)[1]).toMatchObject({ orderId: id, status: "approved", from: "created" });
      c.close();
    } finally {
      await other.stop();
    }
  });
});

describe("a bus that drops", () => {
  it("ends the streams when the connection is cut, and the reconnection replays what was missed", async () => {
    const redis = await startRedisServer();
    const proxy = await startFaultProxy({ port: redis.port });
    const cut = await startTestSystem({ env: { REDIS_URL: proxy.url() } });
    try {
      const placed = await cut.call(`${cut.urls.mes}/orders`, {
        method: "POST",
        token: cut.token("service", "shop"),
        body: { customerId: 81, items: [item] },
      });
      const id = placed.body.id as number;
      const token = cut.token("customer", "81");
      const url = `${cut.urls.shop}/orders/${id}/events`;
      const shopStream = await SseClient.open(url, { authorization: `Bearer ${token}` });
      const board = await SseClient.open(`${cut.urls.mes}/orders/events`, {
        authorization: `Bearer ${cut.token("operator")}`,
      });
      await shopStream.until(() => statuses(shopStream).length === 1);
      await board.until(() => board.events.length === 1);
      proxy.reset();
      await Promise.all([shopStream.ended, board.ended]);
      const moved = await cut.call(`${cut.urls.mes}/orders/${id}/status`, {
        method: "POST",
        token: cut.token("operator"),
        body: { status: "approved" },
      });
      expect(moved.status).toBe(200);
      // What a browser does after `retry`: the same URL with the last id it saw.
      const [shopAgain, boardAgain] = [
        await SseClient.open(url, {
          authorization: `Bearer ${token}`,
          "last-event-id": String(shopStream.events.at(-1)?.id),
        }),
        await SseClient.open(`${cut.urls.mes}/orders/events`, {
          authorization: `Bearer ${cut.token("operator")}`,
          "last-event-id": String(board.events.at(-1)?.id),
        }),
      ];
      for (const c of [shopAgain, boardAgain]) {
        await c.until(() => statuses(c).some((e) => e.orderId === id && e.status === "approved"));
        c.close();
      }
    } finally {
      await cut.stop();
      await proxy.close();
      await redis.stop();
    }
  });
});
