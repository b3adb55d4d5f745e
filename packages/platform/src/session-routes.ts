import type { FastifyReply, FastifyRequest } from "fastify";
import { type Static, Type } from "typebox";
import type { Auth, Principal, VerifiedToken } from "./auth.ts";
import { forbidden, unauthorized } from "./errors.ts";
import type { HttpApp } from "./http-app.ts";
import { assertSameOrigin, authenticateRequest } from "./request-auth.ts";
import { errorResponses } from "./schemas.ts";

export interface SessionSettings {
  /** Mark the cookie `Secure` (sent over HTTPS only): on wherever the pages are served over HTTPS. */
  secureCookie: boolean;
  /** The embedded demo: `POST /auth/demo` signs a visitor in as a demo customer, operator or manager. */
  demo: boolean;
}

/** Who a demo visitor acts as: the first seeded customer, and the staff the launcher prints tokens for. */
export const DEMO_PRINCIPALS: Record<"customer" | "operator" | "manager", Principal> = {
  customer: { sub: "1", role: "customer" },
  operator: { sub: "operator-1", role: "operator" },
  manager: { sub: "manager-1", role: "manager" },
};
const DEMO_SESSION_S = 8 * 3600;

const SessionSchema = Type.Object({
  sub: Type.String(),
  role: Type.String(),
  expiresAt: Type.String({ format: "date-time" }),
});
const TicketSchema = Type.Object({ ticket: Type.String(), expiresAt: Type.String({ format: "date-time" }) });
const SignInSchema = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 4096 }) },
  { additionalProperties: false },
);
const DemoSchema = Type.Object(
  { role: Type.Enum(["customer", "operator", "manager"]) },
  { additionalProperties: false },
);

const iso = (epochS: number) => new Date(epochS * 1000).toISOString();
const sessionBody = ({ principal, expiresAt }: VerifiedToken): Static<typeof SessionSchema> => ({
  ...principal,
  expiresAt: iso(expiresAt),
});

/**
 * Sign-in for the pages: the session is a JWT in an HttpOnly, SameSite=Strict cookie, so no page script —
 * ours or another origin's — ever holds a token. Programs keep using `Authorization: Bearer`.
 */
export async function sessionRoutes(app: HttpApp, { auth, settings }: { auth: Auth; settings: SessionSettings }) {
  const tags = ["session"];
  const startSession = (request: FastifyRequest, reply: FastifyReply, token: string) => {
    // A sign-in is a change too: a foreign page must not sign a visitor in as someone else.
    assertSameOrigin(request);
    const verified = auth.verify(token, "session");
    if (verified.principal.role === "service") throw forbidden("a service token cannot open a browser session");
    const maxAge = Math.max(1, Math.floor(verified.expiresAt - Date.now() / 1000));
    reply.setCookie(app.sessionCookie, token, {
      httpOnly: true,
      sameSite: "strict",
      secure: settings.secureCookie,
      path: "/",
      maxAge,
    });
    return sessionBody(verified);
  };

  app.post(
    "/auth/session",
    {
      schema: {
        tags,
        summary: "Open a browser session with a JWT from the identity provider (sets an HttpOnly cookie)",
        body: SignInSchema,
        response: { 200: SessionSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => startSession(request, reply, request.body.token),
  );

  app.get(
    "/auth/session",
    { schema: { tags, summary: "Who the session is", response: { 200: SessionSchema, ...errorResponses(401) } } },
    async (request) => {
      const cookie = request.cookies[app.sessionCookie];
      if (!cookie) throw unauthorized("not signed in");
      return sessionBody(auth.verify(cookie, "session"));
    },
  );

  app.delete(
    "/auth/session",
    { schema: { tags, summary: "Sign out", response: { 204: Type.Null() } } },
    async (request, reply) => {
      assertSameOrigin(request);
      reply.clearCookie(app.sessionCookie, { path: "/" }).status(204);
    },
  );

  app.get(
    "/auth/options",
    {
      schema: {
        tags,
        summary: "How a visitor may sign in here: with a token, and in the embedded demo as a demo role",
        response: { 200: Type.Object({ demo: Type.Boolean() }) },
      },
    },
    async () => ({ demo: settings.demo }),
  );

  app.post(
    "/auth/ticket",
    {
      schema: {
        tags,
        summary: `A ticket for the event streams (?ticket=), valid one minute`,
        response: { 200: TicketSchema, ...errorResponses(401) },
      },
    },
    async (request) => {
      const { ticket, expiresAt } = auth.signTicket(authenticateRequest(auth, request));
      return { ticket, expiresAt: iso(expiresAt) };
    },
  );

  if (settings.demo) {
    app.post(
      "/auth/demo",
      {
        schema: {
          tags,
          summary: "Embedded demo only: act as the demo customer, operator or manager",
          body: DemoSchema,
          response: { 200: SessionSchema, ...errorResponses(400, 403) },
        },
      },
      async (request, reply) =>
        startSession(request, reply, auth.sign(DEMO_PRINCIPALS[request.body.role], DEMO_SESSION_S)),
    );
  }
}
