import type { Tokens } from "./tokens.ts";

export interface Targets {
  shop: string;
  crm: string;
  mes: string;
}

export interface AttackContext {
  targets: Targets;
  tokens: Tokens;
  /** The target's AUTH_SECRET, when known: attack 4 signs its odd tokens with it. */
  secret?: string;
  /**
   * The loopback address the client named `who` speaks from, one per name. Each attack is a new client,
   * so that one attack's per-client upload counters (rate and concurrency) do not decide the next one's.
   */
  source(who: string): string;
}

/** One row of the table: what came back, and how long the attack took or when its answer arrived. */
export interface Finding {
  answer: string;
  ms: number;
}

export interface Attack {
  /** "1", "4b", ...: the row's number in the brief, and `--only`'s name for it. */
  id: string;
  title: string;
  /** Its requests give up after this long; the runner abandons the attack a little later, whatever it awaits. */
  limitMs: number;
  /** It keeps the 3D workers busy: afterwards, how long until a small quote is fast again is measured. */
  loadsMesh?: boolean;
  /** Why it cannot run with this context (a token or the secret is missing), or undefined. */
  missing?(ctx: AttackContext): string | undefined;
  run(ctx: AttackContext): Promise<Finding>;
}

/** A required piece of the context, or an error naming it (caught by the runner, shown in the row). */
export function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`needs ${what}`);
  return value;
}
