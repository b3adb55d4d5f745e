import { percentile } from "../stats.ts";
import type { Attack, AttackContext } from "./attack.ts";
import { errorCode, seconds } from "./describe.ts";
import { type Answer, send } from "./http-probe.ts";

const CONNECTIONS = 20;
const DECLARED_BYTES = 1000;
const CAP_MS = 90_000;

/** One byte a second, up to the declared length (which the cap never lets it reach). */
async function* drip(): AsyncIterable<Uint8Array> {
  for (let i = 0; i < DECLARED_BYTES; i++) {
    yield Buffer.from("x");
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** How a connection ended, without its time: "408 request_timeout", "closed (ECONNRESET)", "open at the cap". */
function ending(a: Answer): string {
  if (a.outcome === "answered") return [a.status, errorCode(a.body)].filter(Boolean).join(" ");
  if (a.outcome === "closed") return `closed without answer${a.error ? ` (${a.error})` : ""}`;
  return "still open at our cap";
}

/** "18x 429 too_many_uploads at 0.004 s (median); 2x 408 request_timeout at 61 s (median)". */
function summarize(answers: Answer[]): { text: string; medianCloseMs: number } {
  const groups = new Map<string, number[]>();
  for (const a of answers) groups.set(ending(a), [...(groups.get(ending(a)) ?? []), a.ms]);
  const byTime = [...groups].map(([what, ms]): [string, number[]] => [what, ms.sort((x, y) => x - y)]);
  byTime.sort((a, b) => percentile(a[1], 50) - percentile(b[1], 50));
  const parts = byTime.map(([what, sorted]) =>
    what === "still open at our cap"
      ? `${sorted.length}x ${what} (${seconds(CAP_MS)})`
      : `${sorted.length}x ${what} at ${seconds(percentile(sorted, 50))} (median)`,
  );
  const closed = answers
    .filter((a) => a.outcome !== "limit")
    .map((a) => a.ms)
    .sort((x, y) => x - y);
  const medianCloseMs = closed.length > 0 ? percentile(closed, 50) : Number.NaN;
  return { text: `${closed.length}/${answers.length} ended by the server: ${parts.join("; ")}`, medianCloseMs };
}

async function slowBodies(ctx: AttackContext, sourceOf: (i: number) => string) {
  const answers = await Promise.all(
    Array.from({ length: CONNECTIONS }, (_, i) =>
      send({
        url: `${ctx.targets.shop}/quotes`,
        method: "POST",
        headers: { "content-type": "application/octet-stream", "content-length": DECLARED_BYTES },
        stream: drip(),
        localAddress: sourceOf(i),
        limitMs: CAP_MS,
      }),
    ),
  );
  const { text, medianCloseMs } = summarize(answers);
  return { answer: text, ms: Number.isNaN(medianCloseMs) ? CAP_MS : medianCloseMs };
}

export const slowBodyOneClient: Attack = {
  id: "7a",
  title: "slow body: 20 connections from one address to Shop POST /quotes, 1 byte/s of 1000",
  limitMs: CAP_MS + 5000,
  run: (ctx) => slowBodies(ctx, () => ctx.source("7a")),
};

/** The same from 20 addresses: the per-client cap no longer applies, so the request deadline must. */
export const slowBodyManyClients: Attack = {
  id: "7b",
  title: "slow body: the same from 20 addresses (one connection each)",
  limitMs: CAP_MS + 5000,
  run: (ctx) => slowBodies(ctx, (i) => ctx.source(`7b-${i}`)),
};
