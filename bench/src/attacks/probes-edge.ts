import { callJson } from "./api.ts";
import type { Attack, Targets } from "./attack.ts";
import { describeAnswer, shapeOf } from "./describe.ts";
import { send } from "./http-probe.ts";

/** Every `error` text anywhere under the health answer's dependencies. */
function errorTexts(json: unknown): string[] {
  const deps = (json as { dependencies?: Record<string, { error?: unknown }> } | undefined)?.dependencies ?? {};
  return Object.values(deps).flatMap((d) => (typeof d?.error === "string" ? [d.error] : []));
}

export const healthBody: Attack = {
  id: "8d",
  title: "anonymous GET /health on each service: does the body carry raw error text?",
  limitMs: 20_000,
  async run(ctx) {
    const t0 = performance.now();
    const names = Object.keys(ctx.targets) as Array<keyof Targets>;
    const parts = await Promise.all(
      names.map(async (name) => {
        const a = await callJson("GET", `${ctx.targets[name]}/health`, { source: ctx.source("8") });
        const errors = errorTexts(a.json);
        const deps = Object.entries(
          (a.json as { dependencies?: Record<string, { status?: string }> })?.dependencies ?? {},
        )
          .map(([dep, state]) => `${dep} ${state?.status}`)
          .join(", ");
        const verdict = errors.length > 0 ? `error text: "${errors.join("; ").slice(0, 80)}"` : "no error text";
        return `${name} ${describeAnswer(a)} (${deps}): ${verdict}`;
      }),
    );
    return { answer: parts.join("; "), ms: performance.now() - t0 };
  },
};

export const octetStreamToJsonRoute: Attack = {
  id: "8e",
  title: "application/octet-stream body to a JSON route (Shop POST /products as manager)",
  limitMs: 15_000,
  missing: (ctx) => (ctx.tokens.manager ? undefined : "needs a manager token"),
  async run(ctx) {
    const a = await send({
      url: `${ctx.targets.shop}/products`,
      method: "POST",
      headers: { "content-type": "application/octet-stream", authorization: `Bearer ${ctx.tokens.manager}` },
      body: Buffer.from("solid cube\nendsolid cube\n"),
      localAddress: ctx.source("8"),
      limitMs: this.limitMs,
    });
    return { answer: `${describeAnswer(a)}, body ${shapeOf(a.body)}`, ms: a.ms };
  },
};

export const hugeHeader: Attack = {
  id: "8f",
  title: "a 40 KB header on Shop GET /products",
  limitMs: 15_000,
  async run(ctx) {
    const a = await send({
      url: `${ctx.targets.shop}/products?limit=1`,
      headers: { "x-padding": "a".repeat(40 * 1024) },
      localAddress: ctx.source("8"),
      limitMs: this.limitMs,
    });
    return { answer: `${describeAnswer(a)}, body ${shapeOf(a.body)}`, ms: a.ms };
  },
};
