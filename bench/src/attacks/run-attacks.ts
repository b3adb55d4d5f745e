import { checkAlive, quoteRecovery } from "./aftermath.ts";
import type { Attack, AttackContext, Finding } from "./attack.ts";
import { seconds } from "./describe.ts";
import { componentBomb, objFaceAttack, quoteBesideHostileStl } from "./mesh-attacks.ts";
import { customerTakesAnothersEmail, operatorNameInHistory, productNotFoundAfterCreate } from "./probes-data.ts";
import { healthBody, hugeHeader, octetStreamToJsonRoute } from "./probes-edge.ts";
import { slowBodyManyClients, slowBodyOneClient } from "./slow-body.ts";
import { devSecretServiceToken, tokenFromTheFuture, tokenWithoutExp } from "./token-attacks.ts";
import { anonymousBadAnalysis, anonymousHugeUpload } from "./upload-attacks.ts";

/** The table's rows, in the brief's order. */
export const ATTACKS: Attack[] = [
  componentBomb,
  objFaceAttack,
  devSecretServiceToken,
  tokenWithoutExp,
  tokenFromTheFuture,
  anonymousHugeUpload,
  anonymousBadAnalysis,
  quoteBesideHostileStl,
  slowBodyOneClient,
  slowBodyManyClients,
  productNotFoundAfterCreate,
  customerTakesAnothersEmail,
  operatorNameInHistory,
  healthBody,
  octetStreamToJsonRoute,
  hugeHeader,
];

export interface Row {
  attack: string;
  answer: string;
  time: string;
  alive: string;
}

/** Past its limit an attack's own requests have given up; the grace lets them report that themselves. */
const CAP_GRACE_MS = 5000;

/** The attack's finding, or what stopped it: its own error, or the cap (so a run always ends by itself). */
async function runCapped(attack: Attack, ctx: AttackContext): Promise<Finding> {
  let timer: NodeJS.Timeout | undefined;
  const cap = new Promise<Finding>((resolve) => {
    timer = setTimeout(
      () => resolve({ answer: `attack abandoned at its limit of ${seconds(attack.limitMs)}`, ms: attack.limitMs }),
      attack.limitMs + CAP_GRACE_MS,
    );
  });
  const started = performance.now();
  try {
    return await Promise.race([attack.run(ctx), cap]);
  } catch (err) {
    return { answer: `not measured: ${(err as Error).message}`, ms: performance.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

async function runOne(attack: Attack, ctx: AttackContext): Promise<{ row: Row; dead: boolean }> {
  const attackName = `${attack.id}. ${attack.title}`;
  const missing = attack.missing?.(ctx);
  if (missing) {
    return { row: { attack: attackName, answer: `not run: ${missing}`, time: "-", alive: "-" }, dead: false };
  }
  const finding = await runCapped(attack, ctx);
  const alive = await checkAlive(ctx.targets);
  // Every service refusing connections right after the attack: the one process that held them died.
  const answer = alive.allDown ? `process died: ${finding.answer}` : finding.answer;
  const recovery = attack.loadsMesh && !alive.allDown ? `; ${await quoteRecovery(ctx.targets)}` : "";
  return {
    row: { attack: attackName, answer, time: seconds(finding.ms), alive: `${alive.text}${recovery}` },
    dead: alive.allDown,
  };
}

/** Runs the attacks one after another; once the system is dead, the rest are listed as not run. */
export async function runAttacks(attacks: Attack[], ctx: AttackContext, log: (line: string) => void): Promise<Row[]> {
  const rows: Row[] = [];
  let dead = (await checkAlive(ctx.targets)).allDown;
  for (const attack of attacks) {
    if (dead) {
      rows.push({
        attack: `${attack.id}. ${attack.title}`,
        answer: "not run: the system is down",
        time: "-",
        alive: "-",
      });
      continue;
    }
    log(`attack ${attack.id}: ${attack.title} (limit ${seconds(attack.limitMs)})`);
    const result = await runOne(attack, ctx);
    log(`  -> ${result.row.answer} | ${result.row.time} | ${result.row.alive}`);
    rows.push(result.row);
    dead = result.dead;
  }
  return rows;
}

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

/** The Markdown table of the brief: attack | answer | time | services alive afterwards. */
export function markdownTable(rows: Row[]): string {
  return [
    "| attack | answer | time | services alive afterwards |",
    "| --- | --- | ---: | --- |",
    ...rows.map((r) => `| ${cell(r.attack)} | ${cell(r.answer)} | ${cell(r.time)} | ${cell(r.alive)} |`),
  ].join("\n");
}
