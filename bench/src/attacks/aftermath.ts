import type { Targets } from "./attack.ts";
import { describeAnswer, seconds } from "./describe.ts";
import { type Answer, send } from "./http-probe.ts";
import { freshSmallStl } from "./payloads.ts";

/** The address the checks speak from: never one an attack used, so no attack's limits count against them. */
export const CHECK_SOURCE = "127.0.0.2";
const HEALTH_LIMIT_MS = 5000;

export interface Alive {
  /** "shop ✓ crm ✓ mes ✓", or the failing ones with what they answered. */
  text: string;
  /** Not one service accepted a connection: the process is gone. */
  allDown: boolean;
}

/** GET /health on each service, all at once. */
async function checkOnce(targets: Targets): Promise<Alive & { allOk: boolean }> {
  const names = Object.keys(targets) as Array<keyof Targets>;
  const answers = await Promise.all(
    names.map((name) => send({ url: `${targets[name]}/health`, localAddress: CHECK_SOURCE, limitMs: HEALTH_LIMIT_MS })),
  );
  const ok = answers.map((a) => a.outcome === "answered" && a.status === 200);
  const parts = names.map((name, i) => (ok[i] ? `${name} ✓` : `${name} ✗ (${describeAnswer(answers[i] as Answer)})`));
  const allDown = answers.every((a) => a.outcome === "closed" && a.error === "ECONNREFUSED");
  return {
    text: allDown ? "none: every port refuses connections" : parts.join(" "),
    allDown,
    allOk: ok.every(Boolean),
  };
}

/**
 * The services' state once the attack is over. A failure is checked again a second later: a dying
 * process first resets connections and only then refuses them, and the table should say which it was.
 */
export async function checkAlive(targets: Targets): Promise<Alive> {
  const first = await checkOnce(targets);
  if (first.allOk || first.allDown) return first;
  await new Promise((r) => setTimeout(r, 1000));
  return checkOnce(targets);
}

const QUIET_QUOTE_MS = 2000;
let recoveryProbes = 0;
/** Each recovery quote comes from a new address: the per-client upload limits are not what it measures. */
const recoverySource = () => `127.0.2.${(recoveryProbes++ % 250) + 1}`;
const RECOVERY_LIMIT_MS = 120_000;

/**
 * How long after an attack on the 3D workers a new small quote is answered 200 within 2 s again: the
 * attack's lasting cost, which the attack's own answer does not show (a refused bomb may still occupy a
 * worker). Polls with a new tetrahedron each time, since a cached quote never reaches a worker.
 */
export async function quoteRecovery(targets: Targets): Promise<string> {
  const started = performance.now();
  let last = "";
  while (performance.now() - started < RECOVERY_LIMIT_MS) {
    const a = await send({
      url: `${targets.shop}/quotes`,
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: freshSmallStl(),
      localAddress: recoverySource(),
      limitMs: RECOVERY_LIMIT_MS,
    });
    if (a.outcome === "answered" && a.status === 200 && a.ms < QUIET_QUOTE_MS) {
      const waited = performance.now() - started - a.ms;
      return waited < 100 ? "quotes fast at once" : `quotes fast again after ${seconds(waited)}`;
    }
    // Nothing listens any more: waiting for it to become fast is pointless.
    if (a.outcome === "closed" && a.error === "ECONNREFUSED") return "quotes: the Shop refuses connections";
    last = describeAnswer(a);
    await new Promise((r) => setTimeout(r, 500));
  }
  return `quotes still not fast after ${seconds(RECOVERY_LIMIT_MS)} (last: ${last})`;
}
