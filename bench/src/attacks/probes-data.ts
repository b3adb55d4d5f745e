import { callJson, expectStatus } from "./api.ts";
import { type Attack, type AttackContext, need } from "./attack.ts";
import { describeAnswer } from "./describe.ts";
import { claimsOf } from "./tokens.ts";

const PROBE = "8";
const elapsed = (t0: number) => performance.now() - t0;

/** The id the next product will get: the catalogue is ordered by id, so the last page's last item is the highest. */
async function nextProductId(ctx: AttackContext): Promise<number> {
  const source = ctx.source(PROBE);
  const first = expectStatus(await callJson("GET", `${ctx.targets.shop}/products?limit=1`, { source }), 200, "list");
  const total = (first.json as { total: number }).total;
  const last = expectStatus(
    await callJson("GET", `${ctx.targets.shop}/products?limit=1&offset=${Math.max(0, total - 1)}`, { source }),
    200,
    "last product",
  );
  const [item] = (last.json as { items: Array<{ id: number }> }).items;
  return (item?.id ?? 0) + 1;
}

export const productNotFoundAfterCreate: Attack = {
  id: "8a",
  title: "GET /products/<next id>, create it as manager, GET it again",
  limitMs: 30_000,
  missing: (ctx) => (ctx.tokens.manager ? undefined : "needs a manager token"),
  async run(ctx) {
    const t0 = performance.now();
    const source = ctx.source(PROBE);
    const id = await nextProductId(ctx);
    const before = await callJson("GET", `${ctx.targets.shop}/products/${id}`, { source });
    const product = { name: "probe 8a", category: "attack", material: "PLA", priceCents: 1 };
    const created = expectStatus(
      await callJson("POST", `${ctx.targets.shop}/products`, { token: ctx.tokens.manager, body: product, source }),
      201,
      "create product",
    );
    const createdId = (created.json as { id: number }).id;
    const after = await callJson("GET", `${ctx.targets.shop}/products/${createdId}`, { source });
    const guessed = createdId === id ? "" : ` (guessed ${id}, got ${createdId})`;
    return {
      answer: `before: ${describeAnswer(before)}; created ${createdId}${guessed}; after: ${describeAnswer(after)}`,
      ms: elapsed(t0),
    };
  },
};

export const customerTakesAnothersEmail: Attack = {
  id: "8b",
  title: "PATCH CRM /customers/<own id> as that customer with another customer's email",
  limitMs: 30_000,
  missing: (ctx) => (ctx.tokens.customer && ctx.tokens.manager ? undefined : "needs customer and manager tokens"),
  async run(ctx) {
    const t0 = performance.now();
    const source = ctx.source(PROBE);
    const own = need(ctx.tokens.customerId, "the customer token's id");
    const other = own === 1 ? 2 : own - 1;
    const profile = expectStatus(
      await callJson("GET", `${ctx.targets.crm}/customers/${other}`, { token: ctx.tokens.manager, source }),
      200,
      `read customer ${other}`,
    );
    const email = (profile.json as { email: string }).email;
    const a = await callJson("PATCH", `${ctx.targets.crm}/customers/${own}`, {
      token: ctx.tokens.customer,
      body: { email },
      source,
    });
    return { answer: `${describeAnswer(a)} (customer ${own} asked for customer ${other}'s email)`, ms: elapsed(t0) };
  },
};

interface OrderView {
  id: number;
  status: string;
  history: Array<{ status: string; by: string }>;
}

/** Reads the customer's order until the operator's change shows (the Shop's copy is evicted after it). */
async function awaitStatus(ctx: AttackContext, orderId: number, status: string): Promise<OrderView | undefined> {
  let order: OrderView | undefined;
  for (let i = 0; i < 20; i++) {
    const a = await callJson("GET", `${ctx.targets.shop}/orders/${orderId}`, {
      token: ctx.tokens.customer,
      source: ctx.source(PROBE),
    });
    order = a.status === 200 ? (a.json as OrderView) : undefined;
    if (order?.status === status) return order;
    await new Promise((r) => setTimeout(r, 250));
  }
  return order;
}

export const operatorNameInHistory: Attack = {
  id: "8c",
  title: "Shop GET /orders/:id after an operator's status change: does history `by` show the operator's sub?",
  limitMs: 30_000,
  missing: (ctx) => (ctx.tokens.customer && ctx.tokens.operator ? undefined : "needs customer and operator tokens"),
  async run(ctx) {
    const t0 = performance.now();
    const source = ctx.source(PROBE);
    const list = expectStatus(await callJson("GET", `${ctx.targets.shop}/products?limit=1`, { source }), 200, "list");
    const productId = need((list.json as { items: Array<{ id: number }> }).items[0]?.id, "a product");
    const placed = expectStatus(
      await callJson("POST", `${ctx.targets.shop}/orders`, {
        token: ctx.tokens.customer,
        body: { items: [{ productId, quantity: 1 }] },
        source,
      }),
      201,
      "place order",
    );
    const orderId = (placed.json as OrderView).id;
    const operatorSub = String(claimsOf(ctx.tokens.operator ?? "").sub);
    expectStatus(
      await callJson("POST", `${ctx.targets.mes}/orders/${orderId}/status`, {
        token: ctx.tokens.operator,
        body: { status: "approved" },
        source,
      }),
      200,
      "operator approves",
    );
    const order = await awaitStatus(ctx, orderId, "approved");
    if (!order) return { answer: `order ${orderId} not readable by its customer`, ms: elapsed(t0) };
    const by = order.history.map((h) => h.by);
    const leaks = by.some((b) => b.includes(operatorSub));
    return {
      answer: `by = [${by.join(", ")}]: the operator's sub '${operatorSub}' ${leaks ? "shown" : "not shown"}`,
      ms: elapsed(t0),
    };
  },
};
