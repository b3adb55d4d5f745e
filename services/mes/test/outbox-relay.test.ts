import { seed } from "@printfab/launcher";
import { createLogger } from "@printfab/platform";
import { startTestSystem, type TestSystem } from "@printfab/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderStore } from "../src/order-store.ts";
import { OutboxRelay } from "../src/outbox-relay.ts";

let sys: TestSystem;

beforeAll(async () => {
  // On Redis whatever TEST_CACHE says: what is under test is the eviction of a cached copy.
  sys = await startTestSystem({ cache: "redis" });
  await seed(sys.db, { products: 5, customers: 2, orders: 4 });
});
afterAll(() => sys.stop());

describe("the outbox relay", () => {
  it("an invalidation lost between commit and eviction is delivered by the relay, with no new write", async () => {
    const order = (await sys.call(`${sys.urls.mes}/orders?status=created&limit=1`, { token: sys.token("operator") }))
      .body.items[0];
    const customer = sys.token("customer", String(order.customerId));
    const shopView = () => sys.call(`${sys.urls.shop}/orders/${order.id}`, { token: customer });
    await shopView();
    expect((await shopView()).headers.get("cache-status")).toMatch(/hit/);
    // The change commits with its outbox row, and the process "dies" before evicting anything.
    await new OrderStore(sys.db.forService("mes")).changeStatus(order.id, "cancelled", "op-crash");
    expect((await shopView()).body.status).toBe("created");
    // A relay starting afterwards (another MES instance, or this one restarted) finds the row and evicts.
    const relay = await OutboxRelay.create(sys.db.forService("mes"), sys.caches, createLogger("silent"));
    const deadline = Date.now() + 5000;
    while ((await shopView()).body.status !== "cancelled") {
      await relay.runOnce();
      if (Date.now() > deadline) throw new Error("the relay did not deliver");
      await new Promise((r) => setTimeout(r, 50));
    }
    const left = await sys.db.query<{ n: number }>("SELECT count(*) AS n FROM mes.outbox");
    expect(left[0]?.n).toBe(0);
  });
});
