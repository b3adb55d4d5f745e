import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { AttackContext, Targets } from "./attack.ts";
import { assertLoopback } from "./http-probe.ts";
import { ATTACKS, markdownTable, runAttacks } from "./run-attacks.ts";
import { mergeTokens, tokensFromSecret, tokensFromStartupOutput } from "./tokens.ts";

const HELP = `The attack table: hostile requests against a RUNNING Printfab on this machine, one row each.

Usage: npm run bench -- attacks [options]

  --shop URL, --crm URL, --mes URL   the services (default http://127.0.0.1:3001, 3002, 3003);
                                     loopback addresses only
  --token-manager T, --token-customer T, --token-operator T
                                     tokens to use; else from --tokens-from, else signed with --secret
  --tokens-from FILE                 the target's 'npm start' output, with its demo tokens
  --secret S                         the target's AUTH_SECRET: signs missing tokens, and attack 4's
  --only 1,4a,8c                     run these rows only
  --label TEXT                       a heading above the table
  --out FILE                         also write the table to FILE

Each attack has its own time limit and speaks from its own loopback address (127.0.1.x), so that
the per-client upload limits of one do not decide another's answer. Needs no Redis or PostgreSQL.
`;

/** A map from a client's name to its own loopback address, handed out in order. */
function sourceAddresses(): (who: string) => string {
  const given = new Map<string, string>();
  return (who) => {
    let address = given.get(who);
    if (!address) {
      if (given.size >= 250) throw new Error("out of loopback source addresses");
      address = `127.0.1.${given.size + 1}`;
      given.set(who, address);
    }
    return address;
  };
}

function contextFrom(values: Record<string, string | boolean | undefined>): AttackContext {
  const str = (k: string) => (typeof values[k] === "string" ? (values[k] as string) : undefined);
  const url = (name: string, port: number) => (str(name) ?? `http://127.0.0.1:${port}`).replace(/\/+$/, "");
  const targets: Targets = { shop: url("shop", 3001), crm: url("crm", 3002), mes: url("mes", 3003) };
  for (const url of Object.values(targets)) assertLoopback(url);
  const fromFile = str("tokens-from")
    ? tokensFromStartupOutput(readFileSync(str("tokens-from") as string, "utf8"))
    : {};
  const secret = str("secret");
  const tokens = mergeTokens(
    { manager: str("token-manager"), operator: str("token-operator"), customer: str("token-customer") },
    fromFile,
    secret ? tokensFromSecret(secret) : {},
  );
  return { targets, tokens, secret, source: sourceAddresses() };
}

/** `npm run bench -- attacks ...`: returns the exit code. */
export async function runAttacksCli(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      shop: { type: "string" },
      crm: { type: "string" },
      mes: { type: "string" },
      "token-manager": { type: "string" },
      "token-customer": { type: "string" },
      "token-operator": { type: "string" },
      "tokens-from": { type: "string" },
      secret: { type: "string" },
      only: { type: "string" },
      label: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const only = values.only?.split(",").map((s) => s.trim());
  const unknown = only?.filter((id) => !ATTACKS.some((a) => a.id === id)) ?? [];
  if (unknown.length > 0) {
    process.stderr.write(`unknown attack(s) ${unknown.join(", ")}; known: ${ATTACKS.map((a) => a.id).join(", ")}\n`);
    return 2;
  }
  let ctx: AttackContext;
  try {
    ctx = contextFrom(values);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  const attacks = only ? ATTACKS.filter((a) => only.includes(a.id)) : ATTACKS;
  const started = new Date().toISOString();
  const rows = await runAttacks(attacks, ctx, (line) => process.stderr.write(`${line}\n`));
  const heading = `${values.label ? `## ${values.label}\n\n` : ""}Run ${started} against shop ${ctx.targets.shop}, crm ${ctx.targets.crm}, mes ${ctx.targets.mes}.\n\n`;
  const text = `${heading}${markdownTable(rows)}\n`;
  process.stdout.write(`\n${text}`);
  if (values.out) writeFileSync(values.out, text);
  return 0;
}
