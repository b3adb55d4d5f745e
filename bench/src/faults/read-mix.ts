import type { Ledger } from "./ledger.ts";

/** The order lifecycle forward, as MES allows it; a status's index is what only grows. */
export const FORWARD = ["created", "approved", "printing", "post_processing", "packed", "shipped", "delivered"];
/** The products the manager re-prices: all on the first list page the readers load. */
export const HOT_PRODUCTS = 40;

export interface ReadOp {
  /** Which view it is, for the report: "Shop A product page", "CRM order"... */
  what: string;
  url: string;
  headers?: Record<string, string>;
  /** Judges an answer: undefined when fresh; absent: never stale. */
  stale?: (body: Buffer, t0: number) => Staleness | undefined;
}

/** A stale answer: how long before `t0` the write it missed was acknowledged, and which entities were old. */
export interface Staleness {
  missedByMs: number;
  /** Ledger keys (`p:7`, `o:12`): the report checks them against what a fault made stale. */
  entities: string[];
}

export interface MixTargets {
  shops: string[];
  crm: string;
  mes: string;
  orders: Array<{ id: number; customerId: number }>;
  tokens: { manager: string; operator: string; customer(id: number): string };
}

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;
const shopName = (i: number) => `Shop ${String.fromCharCode(65 + i)}`;
const hotId = () => 1 + Math.floor(Math.random() * HOT_PRODUCTS);

/** One entity's judgement as a Staleness. */
const one = (ledger: Ledger, key: string, seen: number, t0: number): Staleness | undefined => {
  const missedByMs = ledger.missedBy(key, seen, t0);
  return missedByMs === undefined ? undefined : { missedByMs, entities: [key] };
};

const priceJudge = (ledger: Ledger, id: number) => (body: Buffer, t0: number) =>
  one(ledger, `p:${id}`, (JSON.parse(body.toString()) as { priceCents: number }).priceCents, t0);

/** A list page is stale when any of its items is; it missed its writes by the longest of theirs. */
const listJudge = (ledger: Ledger) => (body: Buffer, t0: number) => {
  const items = (JSON.parse(body.toString()) as { items: Array<{ id: number; priceCents: number }> }).items;
  const old = items.flatMap((p) => one(ledger, `p:${p.id}`, p.priceCents, t0) ?? []);
  if (old.length === 0) return undefined;
  return { missedByMs: Math.max(...old.map((o) => o.missedByMs)), entities: old.flatMap((o) => o.entities) };
};

const statusJudge = (ledger: Ledger, id: number) => (body: Buffer, t0: number) =>
  one(ledger, `o:${id}`, FORWARD.indexOf((JSON.parse(body.toString()) as { status: string }).status), t0);

/**
 * Readers on every service: product pages, the first list page and previews on each Shop (the catalogue
 * the manager changes), and the tracked orders as a customer sees them in the Shop, a manager in the CRM
 * and an operator in MES (the statuses the operator changes).
 */
export function nextRead(t: MixTargets, ledger: Ledger): ReadOp {
  const r = Math.random();
  const s = Math.floor(Math.random() * t.shops.length);
  const shop = t.shops[s] as string;
  if (r < 0.3) {
    const id = hotId();
    return { what: `${shopName(s)} product page`, url: `${shop}/products/${id}`, stale: priceJudge(ledger, id) };
  }
  if (r < 0.45) {
    return {
      what: `${shopName(s)} list page`,
      url: `${shop}/products?limit=${HOT_PRODUCTS}`,
      stale: listJudge(ledger),
    };
  }
  if (r < 0.55) return { what: `${shopName(s)} preview`, url: `${shop}/products/${hotId()}/preview.png` };
  const order = pick(t.orders);
  const stale = statusJudge(ledger, order.id);
  if (r < 0.7) {
    const headers = auth(t.tokens.customer(order.customerId));
    return { what: `${shopName(s)} order`, url: `${shop}/orders/${order.id}`, headers, stale };
  }
  if (r < 0.85)
    return { what: "CRM order", url: `${t.crm}/orders/${order.id}`, headers: auth(t.tokens.manager), stale };
  return { what: "MES order", url: `${t.mes}/orders/${order.id}`, headers: auth(t.tokens.operator), stale };
}

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
