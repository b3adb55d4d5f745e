import type { Auth } from "./auth.ts";

const LIFETIME_S = 3600;

/** A token our service presents to its neighbours, re-signed well before it expires. */
export function serviceToken(auth: Auth, service: string): () => string {
  let token = "";
  let renewAt = 0;
  return () => {
    const now = Date.now();
    if (now >= renewAt) {
      token = auth.sign({ sub: service, role: "service" }, LIFETIME_S);
      renewAt = now + (LIFETIME_S * 1000) / 2;
    }
    return token;
  };
}
