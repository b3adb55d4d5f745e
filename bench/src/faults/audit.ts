import type { LoadClient } from "./client.ts";
import type { Ledger } from "./ledger.ts";
import { FORWARD, HOT_PRODUCTS, type MixTargets } from "./read-mix.ts";
import type { Rig } from "./rig.ts";

export interface Audit {
  /** Acknowledged writes PostgreSQL does not hold (its value is older than the acknowledged one). */
  lostWrites: number;
  /** Views that disagree with PostgreSQL once the load stopped: a cache still holding an old value. */
  staleAtEnd: number;
  /** Which views disagreed, for the report. */
  staleViews: string[];
}

/** What PostgreSQL holds for every entity the writers touched, read around the proxy. */
async function truth(rig: Rig, ledger: Ledger): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const prices = await rig.db.query("SELECT id, price_cents FROM shop.products WHERE id <= $1", [HOT_PRODUCTS]);
  for (const r of prices.rows) out.set(`p:${r.id}`, Number(r.price_cents));
  const orderIds = [...ledger.latest().keys()].filter((k) => k.startsWith("o:")).map((k) => Number(k.slice(2)));
  const orders = await rig.db.query("SELECT id, status FROM mes.orders WHERE id = ANY($1::bigint[])", [orderIds]);
  for (const r of orders.rows) out.set(`o:${r.id}`, FORWARD.indexOf(r.status as string));
  return out;
}

/**
 * After a scenario (the load stopped, every write answered): lost acknowledged writes, and views that
 * still disagree with the database, on each Shop's product pages and list page and on MES's orders.
 */
export async function audit(rig: Rig, ledger: Ledger, client: LoadClient, t: MixTargets): Promise<Audit> {
  const db = await truth(rig, ledger);
  let lostWrites = 0;
  for (const [key, acked] of ledger.latest()) if ((db.get(key) ?? -1) < acked) lostWrites++;
  const staleViews: string[] = [];
  const read = async (url: string, headers?: Record<string, string>) => {
    const { answer } = await client.send(url, { headers });
    return answer?.status === 200 ? JSON.parse(answer.body.toString()) : undefined;
  };
  for (const shop of t.shops) {
    for (let id = 1; id <= HOT_PRODUCTS; id++) {
      const seen = (await read(`${shop}/products/${id}`))?.priceCents;
      if (seen !== db.get(`p:${id}`)) staleViews.push(`${shop}/products/${id}: ${seen} vs ${db.get(`p:${id}`)}`);
    }
    const page = (await read(`${shop}/products?limit=${HOT_PRODUCTS}`))?.items ?? [];
    for (const p of page as Array<{ id: number; priceCents: number }>) {
      if (p.priceCents !== db.get(`p:${p.id}`)) staleViews.push(`${shop}/products list, #${p.id}: ${p.priceCents}`);
    }
  }
  for (const [key, status] of db) {
    if (!key.startsWith("o:")) continue;
    const seen = (await read(`${t.mes}/orders/${key.slice(2)}`, { authorization: `Bearer ${t.tokens.operator}` }))
      ?.status;
    if (FORWARD.indexOf(seen) !== status) staleViews.push(`MES order ${key.slice(2)}: ${seen}`);
  }
  return { lostWrites, staleAtEnd: staleViews.length, staleViews };
}
