import { createAuth } from "@printfab/platform";
import type { ShopTier } from "./shop-tier.ts";

/** Concurrent readers of the cold key on each instance. */
const READERS_PER_INSTANCE = 8;

/** Database queries for one product no instance has read, read by every instance at once. */
export async function coldKeyCost(tier: ShopTier, productId: number): Promise<number> {
  const before = await tier.queries();
  const reads = tier.shops.flatMap((s) =>
    Array.from({ length: READERS_PER_INSTANCE }, () => fetch(`${s.url}/products/${productId}`)),
  );
  const answers = await Promise.all(reads);
  if (answers.some((r) => r.status !== 200)) throw new Error(`a cold read of product ${productId} failed`);
  return (await tier.queries()) - before;
}

const priceOn = async (url: string, id: number) =>
  ((await (await fetch(`${url}/products/${id}`)).json()) as { priceCents: number }).priceCents;

/**
 * Milliseconds from a price change acknowledged by the first instance to the last instance serving it
 * (each held the product in L1 before): the bus's delivery, seen from outside. The price is restored after.
 */
export async function propagationMs(tier: ShopTier, productId: number, secret: string): Promise<number> {
  const [writer, ...readers] = tier.shops;
  if (!writer || readers.length === 0) throw new Error("propagation needs two instances");
  const token = `Bearer ${createAuth(secret).sign({ sub: "bench-manager", role: "manager" }, 600)}`;
  const patch = (priceCents: number) =>
    fetch(`${writer.url}/products/${productId}`, {
      method: "PATCH",
      headers: { authorization: token, "content-type": "application/json" },
      body: JSON.stringify({ priceCents }),
    });
  const old = await priceOn(writer.url, productId);
  for (const r of readers) for (let i = 0; i < 2; i++) await priceOn(r.url, productId);
  if (!(await patch(old + 1)).ok) throw new Error(`the price change of product ${productId} failed`);
  const acked = performance.now();
  await Promise.all(
    readers.map(async (r) => {
      while ((await priceOn(r.url, productId)) !== old + 1) {
        if (performance.now() - acked > 10_000) throw new Error(`${r.name} did not see the change within 10 s`);
      }
    }),
  );
  const ms = performance.now() - acked;
  await patch(old);
  return ms;
}
