import { decodeEntry, KeySpace, KIND_NOT_FOUND } from "@printfab/cache";
import { CACHE_PREFIX } from "@printfab/contracts";
import { Redis } from "ioredis";
import type { Fault, FaultContext } from "./fault-list.ts";
import { HOT_PRODUCTS } from "./read-mix.ts";
import type { Rig } from "./rig.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const catalogue = (rig: Rig) => new KeySpace(`${rig.cacheNamespace}:${CACHE_PREFIX.shopCatalogue}`);
/** The catalogue's key of a product page (services/shop, catalogue-reads.ts `productKey`). */
const productKey = (id: number) => `v2:product:${id}`;

/**
 * From a write's acknowledgement, how long its invalidation may take to move the key's version (the
 * outbox's fast path does it before the answer; a relay later): well under the auditor's bus bound
 * (1500 ms), whose check must come after the replay. A product whose version has not moved by then is not
 * replayed, since the invalidation would still delete the replay.
 */
const LANDED_WITHIN_MS = 500;
/** The write check judges an L2 entry old when its load began clockSkewMs (100 ms) before the write: margin. */
const OLDER_THAN_MS = 250;
/** The write check reads L2 boundMs (1500 ms) after the invalidation, then waits 500 ms for the L1 answers. */
const CHECKED_AFTER_MS = 2500;

/** A product's L2 entry as the engine stored it before the write: what the replay puts back. */
interface Snapshot {
  id: number;
  key: string;
  /** The key's version in Redis: the write's invalidation moves it. */
  versionKey: string;
  bytes: Buffer;
  pttl: number;
  bornAt: number;
  takenAt: number;
}

interface Injected {
  id: number;
  key: string;
  bytes: Buffer;
  via: string;
  /** When the write was acknowledged (the ledger's clock). */
  ackedAt: number;
  /**
   * What loaded the new price into L2 between the invalidation and the replay: a list page (its entries are
   * tagged `products`, so that Shop's L1 copy goes at the next re-price of any product) or a product page
   * (untagged: that Shop's L1 keeps the new price until a list load replaces it). Either way that Shop's
   * readers see the new price for a while, then the replayed one once their L1 copy is gone.
   */
  refilledBy?: "list page" | "product page" | "older entry";
}

/**
 * The entry, once it is one the replay can make wrong: untagged (an entry a list page filled carries the
 * `products` tag, whose version every re-price moves, so replayed it would be a miss by construction) and
 * not a not-found marker. Reads through both Shops load it when L2 has none.
 */
async function snapshot(redis: Redis, ctx: FaultContext, keys: KeySpace, id: number): Promise<Snapshot | undefined> {
  const key = keys.data(productKey(id));
  const versionKey = keys.version(productKey(id));
  for (let tries = 0; tries < 40; tries++) {
    const bytes = await redis.getBuffer(key);
    const pttl = await redis.pttl(key);
    const meta = bytes ? decodeEntry(bytes)?.meta : undefined;
    // Fresh until after the write check reads it: an entry in its stale window is not one the check judges.
    const fresh = meta !== undefined && meta.freshUntil > Date.now() + CHECKED_AFTER_MS;
    if (bytes && meta?.bornAt !== undefined && meta.kind !== KIND_NOT_FOUND && meta.tags.length === 0 && fresh) {
      return { id, key, versionKey, bytes, pttl, bornAt: meta.bornAt, takenAt: Date.now() };
    }
    await Promise.all(ctx.targets.shops.map((s) => ctx.client.send(`${s}/products/${id}`)));
    await sleep(25);
  }
  return undefined;
}

/**
 * The manager re-prices the product through a Shop (acknowledged, in the ledger as the workload's writes
 * are), and once its invalidation has landed the old entry goes back into Redis with its remaining TTL, as a
 * buggy writer or a lost invalidation would leave it. Undefined when the write was not acknowledged, or its
 * invalidation did not move the version in time (a replay would be deleted: the scenario would not be wrong).
 */
async function replayAfterWrite(redis: Redis, ctx: FaultContext, s: Snapshot): Promise<Injected | undefined> {
  await sleep(Math.max(0, s.bornAt + OLDER_THAN_MS - Date.now()));
  const { ledger, targets, client } = ctx;
  const value = ledger.nextValue();
  const shop = value % targets.shops.length;
  const version = await redis.get(s.versionKey);
  const sentAt = Date.now();
  const { answer, t1 } = await client.send(`${targets.shops[shop]}/products/${s.id}`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${targets.tokens.manager}`, "content-type": "application/json" },
    body: JSON.stringify({ priceCents: value }),
  });
  if (answer?.status !== 200) return undefined;
  ledger.ack(`p:${s.id}`, value, t1);
  if (!(await versionMoved(redis, s.versionKey, version, sentAt + LANDED_WITHIN_MS))) return undefined;
  const now = await redis.getBuffer(s.key);
  const refill = now ? decodeEntry(now)?.meta : undefined;
  await redis.set(s.key, s.bytes, "PX", Math.max(1, s.pttl - (Date.now() - s.takenAt)));
  const out = { id: s.id, key: s.key, bytes: s.bytes, via: `Shop ${String.fromCharCode(65 + shop)}`, ackedAt: t1 };
  if (!refill) return out;
  if ((refill.bornAt ?? 0) < sentAt) return { ...out, refilledBy: "older entry" };
  return { ...out, refilledBy: refill.tags.length > 0 ? "list page" : "product page" };
}

/** Polls the key's version until it differs from `before`; false if it has not by `deadline`. */
async function versionMoved(redis: Redis, key: string, before: string | null, deadline: number): Promise<boolean> {
  while ((await redis.get(key)) === before) {
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

/** Up to `count` hot products no write is under way on, held in the ledger so the manager leaves them be. */
function claimProducts(ctx: FaultContext, count: number): number[] {
  const free = Array.from({ length: HOT_PRODUCTS }, (_, i) => i + 1);
  const out: number[] = [];
  while (out.length < count && free.length > 0) {
    const [id] = free.splice(Math.floor(Math.random() * free.length), 1);
    if (id !== undefined && ctx.ledger.claim(`p:${id}`)) out.push(id);
  }
  return out;
}

const list = (xs: Injected[]) => xs.map((x) => `#${x.id}`).join(", ");

/** What the note says of each kind of refill: for how long that Shop's readers still saw the new price. */
const REFILLS: Array<[Injected["refilledBy"], string]> = [
  ["list page", "from a list page's load (its Shop's L1 copy went at the next re-price of any product)"],
  ["product page", "from a product page's load (its Shop's L1 kept the new price until a list load replaced it)"],
  ["older entry", "not at all: an entry from before the write was there (a load that raced it)"],
  [undefined, "from no load (the key stayed empty)"],
];

/**
 * The engine made wrong: `count` product entries in L2 put back to their value before an acknowledged
 * write, behind the cache's back. Each should give one write-check violation (L2), in the Shop whose
 * outbox delivered the write; the readers' stale reads of them are the bench's own count. Healing deletes
 * the entries from Redis, the operator's fix, once the write checks have run.
 */
export function poisonL2(count: number): Fault {
  let redis: Redis | undefined;
  let claimed: number[] = [];
  let injected: Injected[] = [];
  let inPlace = 0;
  return {
    name: `${count} stale product entries put into Redis behind the cache's back`,
    inject: async (rig, ctx) => {
      const r = new Redis(rig.redis.url);
      redis = r;
      claimed = claimProducts(ctx, count);
      const keys = catalogue(rig);
      const snaps = await Promise.all(claimed.map((id) => snapshot(r, ctx, keys, id)));
      const done = await Promise.all(snaps.map((s) => (s ? replayAfterWrite(r, ctx, s) : undefined)));
      injected = done.filter((x) => x !== undefined).sort((a, b) => a.id - b.id);
    },
    heal: async (_rig, ctx) => {
      const r = redis;
      const lastAck = Math.max(0, ...injected.map((x) => x.ackedAt));
      await sleep(Math.max(0, lastAck + CHECKED_AFTER_MS - performance.now()));
      if (r && injected.length > 0) {
        // Still the replayed bytes, unless something repaired them: counted before the operator's fix.
        const now = await Promise.all(injected.map((x) => r.getBuffer(x.key)));
        inPlace = injected.filter((x, i) => now[i]?.equals(x.bytes)).length;
        await r.del(...injected.map((x) => x.key));
      }
      for (const id of claimed) ctx.ledger.release(`p:${id}`);
      await r?.quit();
    },
    poisoned: () => injected.map((x) => `p:${x.id}`),
    note: () => {
      const via = injected.map((x) => `#${x.id} via ${x.via}`).join(", ");
      const refills = REFILLS.flatMap(([by, what]) => {
        const xs = injected.filter((x) => x.refilledBy === by);
        return xs.length ? [`${what} for ${list(xs)}`] : [];
      });
      return (
        `${injected.length} entries injected (${via}); ${inPlace} still in Redis when healed (deleted then). ` +
        `Between a write's invalidation and its replay, L2 got the new price ${refills.join("; ")}; ` +
        "the replay overwrote each"
      );
    },
  };
}
