import { createSigner, createVerifier } from "fast-jwt";
import { forbidden, unauthorized } from "./errors.ts";

/** Staff and customer roles of DESIGN.md section 7, plus `service` for calls between our own services. */
export const ROLES = ["customer", "manager", "operator", "service"] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  sub: string;
  role: Role;
}

export interface Auth {
  sign(principal: Principal, expiresInSeconds?: number): string;
  /** Verifies a `Bearer` header; throws 401 when it is missing, malformed, forged or expired. */
  authenticate(authorizationHeader: string | undefined): Principal;
  /** As authenticate, then 403 unless the principal holds one of the roles. */
  authorize(authorizationHeader: string | undefined, roles: readonly Role[]): Principal;
}

export function createAuth(secret: string): Auth {
  const verify = createVerifier({ key: secret, algorithms: ["HS256"], cache: 1000 });
  const signers = new Map<number, (payload: Record<string, unknown>) => string>();
  const signerFor = (expiresInSeconds: number) => {
    let s = signers.get(expiresInSeconds);
    if (!s) {
      s = createSigner({ key: secret, algorithm: "HS256", expiresIn: expiresInSeconds * 1000 });
      signers.set(expiresInSeconds, s);
    }
    return s;
  };

  const authenticate = (header: string | undefined): Principal => {
    if (!header) throw unauthorized("missing Authorization header");
    const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(header.trim());
    if (!match?.[1]) throw unauthorized("Authorization must be 'Bearer <JWT>'");
    let claims: Record<string, unknown>;
    try {
      claims = verify(match[1]);
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw unauthorized(code === "FAST_JWT_EXPIRED" ? "token expired" : "invalid token");
    }
    const { sub, role } = claims;
    if (typeof sub !== "string" || sub.length === 0 || sub.length > 128) throw unauthorized("token has no valid sub");
    if (typeof role !== "string" || !(ROLES as readonly string[]).includes(role)) {
      throw unauthorized("token has no valid role");
    }
    if (role === "customer" && !/^[1-9][0-9]{0,17}$/.test(sub))
      throw unauthorized("customer token needs a numeric sub");
    return { sub, role: role as Role };
  };

  return {
    sign: (principal, expiresInSeconds = 3600) => signerFor(expiresInSeconds)({ ...principal }),
    authenticate,
    authorize(header, roles) {
      const principal = authenticate(header);
      if (!roles.includes(principal.role)) throw forbidden(`role '${principal.role}' may not do this`);
      return principal;
    },
  };
}
