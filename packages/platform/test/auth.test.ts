import { createSigner } from "fast-jwt";
import { describe, expect, it } from "vitest";
import { createAuth } from "../src/auth.ts";
import { AppError } from "../src/errors.ts";

const auth = createAuth("a-secret-of-sufficient-length");
const bearer = (t: string) => `Bearer ${t}`;

const rejected = (fn: () => unknown, status: number, message: RegExp) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).statusCode).toBe(status);
    expect((err as AppError).message).toMatch(message);
    return;
  }
  throw new Error("expected a rejection");
};

describe("auth", () => {
  it("round-trips a principal", () => {
    const token = auth.sign({ sub: "42", role: "customer" });
    expect(auth.authenticate(bearer(token))).toEqual({ sub: "42", role: "customer" });
  });

  it("rejects missing, malformed, forged and expired tokens with 401", () => {
    rejected(() => auth.authenticate(undefined), 401, /missing/);
    rejected(() => auth.authenticate("Basic abc"), 401, /Bearer/);
    const forged = createAuth("another-secret-entirely").sign({ sub: "1", role: "manager" });
    rejected(() => auth.authenticate(bearer(forged)), 401, /invalid token/);
    const expired = createSigner({ key: "a-secret-of-sufficient-length", algorithm: "HS256" })({
      sub: "1",
      role: "manager",
      exp: Math.floor(Date.now() / 1000) - 10,
    });
    rejected(() => auth.authenticate(bearer(expired)), 401, /expired/);
  });

  it("refuses an unsigned token even with the right claims", () => {
    const none = createSigner({ algorithm: "none" })({ sub: "1", role: "manager" });
    rejected(() => auth.authenticate(bearer(none)), 401, /Bearer|invalid/);
  });

  it("rejects unknown roles and non-numeric customer ids", () => {
    const sign = createSigner({ key: "a-secret-of-sufficient-length", algorithm: "HS256" });
    rejected(() => auth.authenticate(bearer(sign({ sub: "1", role: "admin" }))), 401, /role/);
    rejected(() => auth.authenticate(bearer(sign({ sub: "alice", role: "customer" }))), 401, /numeric/);
  });

  it("answers 403 to a valid token of the wrong role", () => {
    const token = auth.sign({ sub: "7", role: "customer" });
    rejected(() => auth.authorize(bearer(token), ["manager"]), 403, /customer/);
    expect(auth.authorize(bearer(token), ["manager", "customer"]).sub).toBe("7");
  });
});
