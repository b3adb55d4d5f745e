import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { unauthorized } from "./errors.ts";

export interface AdminAccess {
  /** Whether an admin token is configured (without one, the operators' routes are open, as on a laptop). */
  readonly required: boolean;
  /** True when the request carries the admin token; always false when none is configured. */
  isAdmin(request: FastifyRequest): boolean;
  /** An `onRequest` hook for the operators' routes (/metrics, /docs): 401 without the token, when one is set. */
  guard(request: FastifyRequest, reply: FastifyReply): Promise<void>;
}

const digest = (text: string) => createHash("sha256").update(text).digest();

/** `ADMIN_TOKEN` checks; the comparison takes the same time whatever the guess (digests of equal length). */
export function adminAccess(token: string | undefined): AdminAccess {
  const expected = token ? digest(`Bearer ${token}`) : undefined;
  const isAdmin = (request: FastifyRequest) => {
    const header = request.headers.authorization;
    return expected !== undefined && typeof header === "string" && timingSafeEqual(digest(header.trim()), expected);
  };
  return {
    required: expected !== undefined,
    isAdmin,
    guard: async (request) => {
      if (expected && !isAdmin(request)) throw unauthorized("this operators' route needs the admin token");
    },
  };
}
