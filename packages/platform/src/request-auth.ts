import type { FastifyReply, FastifyRequest } from "fastify";
import type { Auth, Role, VerifiedToken } from "./auth.ts";
import { forbidden, unauthorized } from "./errors.ts";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The route takes a ticket (`?ticket=`) as well: event streams, which a browser opens without headers. */
    ticket?: boolean;
  }
  interface FastifyInstance {
    /** The name of this service's session cookie (`printfab_<service>_session`). */
    sessionCookie: string;
  }
  interface FastifyRequest {
    /** When the credentials `requireRole` accepted stop being valid (seconds since the epoch). */
    principalExpiresAt?: number;
  }
}

/** Each service has a cookie of its own: browsers do not tell ports apart, and a customer may also be an operator. */
export const sessionCookieName = (service: string) => `printfab_${service}_session`;

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * A cookie rides along with any request the browser makes to our host, whichever page made it: a change
 * authenticated by the cookie must come from one of our own pages. Browsers send `Origin` with every
 * POST, PATCH and DELETE, and a page cannot forge it; its host must be the one the request was sent to
 * (ports included, so the Shop's pages cannot act on MES with an operator's cookie).
 */
export function assertSameOrigin(request: FastifyRequest): void {
  if (SAFE_METHODS.has(request.method)) return;
  const origin = request.headers.origin;
  let host: string | undefined;
  try {
    host = origin ? new URL(origin).host : undefined;
  } catch {
    host = undefined;
  }
  if (!host || host !== request.headers.host) {
    throw forbidden("a change made with the session cookie must come from this service's own pages (Origin)");
  }
}

/**
 * Who the request speaks for, and until when: a bearer token (programs), else the session cookie (this
 * service's pages), else, on the routes that allow it, a ticket in the query string (event streams opened
 * by a browser).
 */
export function authenticateRequest(auth: Auth, request: FastifyRequest): VerifiedToken {
  const header = request.headers.authorization;
  if (header) return auth.authenticateHeader(header);
  const cookie = request.cookies?.[request.server.sessionCookie];
  if (cookie) {
    assertSameOrigin(request);
    return auth.verify(cookie, "session");
  }
  const ticket = request.routeOptions.config.ticket ? (request.query as { ticket?: unknown })?.ticket : undefined;
  if (typeof ticket === "string") return auth.verify(ticket, "ticket");
  throw unauthorized("missing Authorization header");
}

/**
 * An `onRequest` hook that authenticates the request and requires one of the roles; sets
 * `request.principal`. It runs before the body is read: an anonymous upload costs its headers only.
 */
export function requireRole(auth: Auth, ...roles: Role[]) {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const { principal, expiresAt } = authenticateRequest(auth, request);
    if (!roles.includes(principal.role)) throw forbidden(`role '${principal.role}' may not do this`);
    request.principal = principal;
    request.principalExpiresAt = expiresAt;
  };
}
