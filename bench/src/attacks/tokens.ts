import { createHmac } from "node:crypto";

/** The secret every checkout of Printfab knows: a token signed with it must not pass a real deployment. */
export const PUBLIC_DEV_SECRET = "printfab-dev-secret-do-not-use-in-production";

export interface Tokens {
  manager?: string;
  operator?: string;
  customer?: string;
  /** The customer the customer token speaks for (its `sub`); set by mergeTokens. */
  customerId?: number;
}

const b64url = (value: string | Buffer) => Buffer.from(value).toString("base64url");

/**
 * An HS256 JWT with exactly these claims. Signed by hand rather than with createAuth: the attacks need
 * tokens that createAuth refuses to make (no `exp`, an `iat` in the future), and the same signer must
 * speak to the old code and the new.
 */
export function signHs256(claims: Record<string, unknown>, secret: string): string {
  const unsigned = `${b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${b64url(JSON.stringify(claims))}`;
  return `${unsigned}.${createHmac("sha256", secret).update(unsigned).digest("base64url")}`;
}

/** The claims of a token, unverified: enough to learn which customer a given token speaks for. */
export function claimsOf(token: string): Record<string, unknown> {
  try {
    return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** Tokens valid for an hour, as the services sign them. */
export function tokensFromSecret(secret: string, customerId = 1): Tokens {
  const iat = Math.floor(Date.now() / 1000);
  const sign = (sub: string, role: string) => signHs256({ sub, role, iat, exp: iat + 3600 }, secret);
  return {
    manager: sign("manager-1", "manager"),
    operator: sign("operator-1", "operator"),
    customer: sign(String(customerId), "customer"),
  };
}

/**
 * The demo tokens `npm start` prints in the embedded mode, before and after the hardening alike:
 * `  customer 1: <jwt>`, `  manager:    <jwt>`, `  operator:   <jwt>`.
 */
export function tokensFromStartupOutput(text: string): Tokens {
  const tokens: Tokens = {};
  for (const line of text.split("\n")) {
    const m = /^\s*(customer (\d+)|manager|operator):\s+([\w-]+\.[\w-]+\.[\w-]+)\s*$/.exec(line);
    if (!m) continue;
    const [, who, customerId, token] = m;
    if (customerId) tokens.customer = token;
    else if (who === "manager") tokens.manager = token;
    else if (who === "operator") tokens.operator = token;
  }
  return tokens;
}

/** The first source that has each token wins: the command line, then the startup output, then the secret. */
export function mergeTokens(...sources: Tokens[]): Tokens {
  const pick = (role: "manager" | "operator" | "customer") => sources.find((s) => s[role])?.[role];
  const customer = pick("customer");
  // The customer id is read from the token itself, so that it always matches the token used.
  const sub = customer ? Number(claimsOf(customer).sub) : Number.NaN;
  return {
    manager: pick("manager"),
    operator: pick("operator"),
    customer,
    customerId: Number.isInteger(sub) ? sub : undefined,
  };
}
