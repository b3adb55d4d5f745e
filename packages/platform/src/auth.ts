import { createSigner, createVerifier } from "fast-jwt";
import { forbidden, unauthorized } from "./errors.ts";

/** Staff and customer roles, plus `service` for calls between our own services (docs/architecture.md). */
export const ROLES = ["customer", "manager", "operator", "service"] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  sub: string;
  role: Role;
}

export interface AuthOptions {
  /** The longest lifetime a token may claim (`exp` - `iat`, or `exp` - now); longer ones are refused. */
  maxLifetimeSeconds?: number;
  /** How far the issuer's clock may be ahead of ours or behind it. */
  clockToleranceSeconds?: number;
  /** Milliseconds since the epoch; injected by tests. */
  now?: () => number;
}

/**
 * What a token is for. A session token (a bearer token, or the JWT a session cookie holds) opens any route
 * its role may use; a ticket is a short-lived token that only opens event streams, because a browser's
 * EventSource cannot send headers and a URL ends up in logs and histories.
 */
export type TokenUse = "session" | "ticket";

/**
 * A verified token: who it speaks for and until when (seconds since the epoch). For a ticket, that is the
 * session it was issued from: the ticket opens a stream within its minute, the stream lives as long as
 * the session.
 */
export interface VerifiedToken {
  principal: Principal;
  expiresAt: number;
}

/** The longest lifetime of a ticket: long enough to open a stream, too short to be worth stealing from a log. */
export const TICKET_LIFETIME_S = 60;

export interface Auth {
  /** Signs a token that expires after `expiresInSeconds` (at most the maximum lifetime). */
  sign(principal: Principal, expiresInSeconds?: number): string;
  /** Signs a ticket for the event streams of `session`'s principal, valid `TICKET_LIFETIME_S`. */
  signTicket(session: VerifiedToken): { ticket: string; expiresAt: number };
  /** Verifies a raw token for `use`; throws 401 as `authenticate` does, and for a token of the other use. */
  verify(token: string, use: TokenUse): VerifiedToken;
  /** Verifies a `Bearer` header; throws 401 when it is missing, malformed, forged, expired or too long-lived. */
  authenticate(authorizationHeader: string | undefined): Principal;
  /** As `authenticate`, with the token's expiry. */
  authenticateHeader(authorizationHeader: string | undefined): VerifiedToken;
  /** As authenticate, then 403 unless the principal holds one of the roles. */
  authorize(authorizationHeader: string | undefined, roles: readonly Role[]): Principal;
}

export const DEFAULT_MAX_TOKEN_LIFETIME_S = 7 * 24 * 3600;
const DEFAULT_CLOCK_TOLERANCE_S = 30;
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;

/**
 * The time claims, checked here with the injectable clock rather than by fast-jwt (whose clock is fixed
 * when the verifier is built): `exp` is required, so a stolen token cannot live for ever; an `iat` in the
 * future would let a token outlive the maximum lifetime, so it is refused too.
 */
function checkTimes(claims: Record<string, unknown>, nowS: number, maxLifetimeS: number, toleranceS: number): void {
  const { exp, iat, nbf } = claims;
  if (typeof exp !== "number" || !Number.isFinite(exp)) throw unauthorized("token has no expiry (exp)");
  if (exp + toleranceS < nowS) throw unauthorized("token expired");
  if (iat !== undefined && (typeof iat !== "number" || iat > nowS + toleranceS)) {
    throw unauthorized("token is issued in the future (iat)");
  }
  if (typeof nbf === "number" && nbf > nowS + toleranceS) throw unauthorized("token is not valid yet (nbf)");
  const issued = typeof iat === "number" ? iat : nowS;
  if (exp - Math.min(issued, nowS) > maxLifetimeS + toleranceS) {
    throw unauthorized(`token lifetime exceeds the maximum of ${maxLifetimeS} s`);
  }
}

function checkPrincipal(claims: Record<string, unknown>): Principal {
  const { sub, role } = claims;
  if (typeof sub !== "string" || sub.length === 0 || sub.length > 128) throw unauthorized("token has no valid sub");
  if (typeof role !== "string" || !(ROLES as readonly string[]).includes(role)) {
    throw unauthorized("token has no valid role");
  }
  if (role === "customer" && !/^[1-9][0-9]{0,17}$/.test(sub)) throw unauthorized("customer token needs a numeric sub");
  return { sub, role: role as Role };
}

/** HS256 tokens, the algorithm pinned: `none`, RS* and other HMAC sizes are refused. */
export function createAuth(secret: string, options: AuthOptions = {}): Auth {
  const maxLifetimeS = options.maxLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_S;
  const toleranceS = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_S;
  const now = options.now ?? Date.now;
  const verify = createVerifier({
    key: secret,
    algorithms: ["HS256"],
    ignoreExpiration: true,
    ignoreNotBefore: true,
    cache: 1000,
  });
  const sign = createSigner({ key: secret, algorithm: "HS256" });

  const verifyToken = (token: string, use: TokenUse): VerifiedToken => {
    if (token.length > 4096 || !JWT.test(token)) throw unauthorized("malformed token");
    let claims: Record<string, unknown>;
    try {
      claims = verify(token);
    } catch {
      throw unauthorized("invalid token");
    }
    checkTimes(claims, now() / 1000, maxLifetimeS, toleranceS);
    const principal = checkPrincipal(claims);
    if ((claims.use === "ticket") !== (use === "ticket")) {
      throw unauthorized(use === "ticket" ? "not a ticket" : "a ticket only opens event streams");
    }
    if (use === "ticket") {
      if ((claims.exp as number) - now() / 1000 > TICKET_LIFETIME_S + toleranceS)
        throw unauthorized("ticket lives too long");
      if (typeof claims.sx !== "number") throw unauthorized("ticket names no session expiry");
      return { principal, expiresAt: claims.sx };
    }
    return { principal, expiresAt: claims.exp as number };
  };

  const authenticateHeader = (header: string | undefined): VerifiedToken => {
    if (!header) throw unauthorized("missing Authorization header");
    const token = BEARER.exec(header.trim())?.[1];
    if (!token) throw unauthorized("Authorization must be 'Bearer <JWT>'");
    return verifyToken(token, "session");
  };

  return {
    sign(principal, expiresInSeconds = 3600) {
      if (!(expiresInSeconds > 0 && expiresInSeconds <= maxLifetimeS)) {
        throw new RangeError(`a token's lifetime must be in (0, ${maxLifetimeS}] s, not ${expiresInSeconds}`);
      }
      const iat = Math.floor(now() / 1000);
      return sign({ ...principal, iat, exp: iat + expiresInSeconds });
    },
    signTicket({ principal, expiresAt: sx }) {
      const iat = Math.floor(now() / 1000);
      const expiresAt = Math.min(iat + TICKET_LIFETIME_S, sx);
      return { ticket: sign({ ...principal, use: "ticket", sx, iat, exp: expiresAt }), expiresAt };
    },
    verify: verifyToken,
    authenticate: (header) => authenticateHeader(header).principal,
    authenticateHeader,
    authorize(header, roles) {
      const { principal } = authenticateHeader(header);
      if (!roles.includes(principal.role)) throw forbidden(`role '${principal.role}' may not do this`);
      return principal;
    },
  };
}
