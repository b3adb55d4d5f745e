import { createSigner } from "fast-jwt";
import { describe, expect, it } from "vitest";
import { createAuth } from "../src/auth.ts";
import { AppError } from "../src/errors.ts";

const SECRET = "a-secret-of-sufficient-length";
const auth = createAuth(SECRET);
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
      exp: Math.floor(Date.now() / 1000) - 60,
    });
    rejected(() => auth.authenticate(bearer(expired)), 401, /expired/);
  });

  it("refuses an unsigned token even with the right claims", () => {
    const none = createSigner({ algorithm: "none" })({ sub: "1", role: "manager" });
    rejected(() => auth.authenticate(bearer(none)), 401, /Bearer|invalid/);
  });

  it("pins HS256: the same secret under HS512 or HS384 is refused", () => {
    for (const algorithm of ["HS512", "HS384"] as const) {
      const other = createSigner({ key: "a-secret-of-sufficient-length", algorithm, expiresIn: 60_000 });
      rejected(() => auth.authenticate(bearer(other({ sub: "1", role: "manager" }))), 401, /invalid token/);
    }
  });

  describe("time claims, on an injected clock", () => {
    let nowMs = Date.UTC(2026, 0, 1);
    const clocked = createAuth(SECRET, { maxLifetimeSeconds: 3600, clockToleranceSeconds: 30, now: () => nowMs });
    // fast-jwt keeps a given iat; `noTimestamp` drops it, for tokens that carry none.
    const raw = createSigner({ key: SECRET, algorithm: "HS256" });
    const rawNoIat = createSigner({ key: SECRET, algorithm: "HS256", noTimestamp: true });
    const nowS = () => Math.floor(nowMs / 1000);

    it("requires exp: a token without one never expired, now it is refused", () => {
      rejected(() => clocked.authenticate(bearer(rawNoIat({ sub: "1", role: "service" }))), 401, /no expiry/);
    });

    it("refuses an iat in the future beyond the tolerance, accepts one within it", () => {
      const future = raw({ sub: "1", role: "manager", iat: nowS() + 3 * 365 * 86400, exp: nowS() + 60 });
      rejected(() => clocked.authenticate(bearer(future)), 401, /future/);
      const skewed = raw({ sub: "1", role: "manager", iat: nowS() + 20, exp: nowS() + 600 });
      expect(clocked.authenticate(bearer(skewed)).sub).toBe("1");
    });

    it("refuses a lifetime over the maximum, with or without iat", () => {
      const long = raw({ sub: "1", role: "manager", iat: nowS(), exp: nowS() + 2 * 3600 });
      rejected(() => clocked.authenticate(bearer(long)), 401, /lifetime/);
      const noIat = rawNoIat({ sub: "1", role: "manager", exp: nowS() + 2 * 3600 });
      rejected(() => clocked.authenticate(bearer(noIat)), 401, /lifetime/);
      const backdated = raw({ sub: "1", role: "manager", iat: nowS() - 5000, exp: nowS() + 60 });
      rejected(() => clocked.authenticate(bearer(backdated)), 401, /lifetime/);
    });

    it("expires a signed token when the clock passes exp plus the tolerance", () => {
      const token = clocked.sign({ sub: "9", role: "customer" }, 600);
      nowMs += 600_000 + 20_000;
      expect(clocked.authenticate(bearer(token)).sub).toBe("9");
      nowMs += 20_000;
      rejected(() => clocked.authenticate(bearer(token)), 401, /expired/);
    });

    it("will not sign beyond the maximum lifetime", () => {
      expect(() => clocked.sign({ sub: "1", role: "manager" }, 7200)).toThrow(RangeError);
      expect(() => clocked.sign({ sub: "1", role: "manager" }, 0)).toThrow(RangeError);
    });
  });

  it("rejects unknown roles and non-numeric customer ids", () => {
    const sign = createSigner({ key: SECRET, algorithm: "HS256", expiresIn: 60_000 });
    rejected(() => auth.authenticate(bearer(sign({ sub: "1", role: "admin" }))), 401, /role/);
    rejected(() => auth.authenticate(bearer(sign({ sub: "alice", role: "customer" }))), 401, /numeric/);
  });

  it("answers 403 to a valid token of the wrong role", () => {
    const token = auth.sign({ sub: "7", role: "customer" });
    rejected(() => auth.authorize(bearer(token), ["manager"]), 403, /customer/);
    expect(auth.authorize(bearer(token), ["manager", "customer"]).sub).toBe("7");
  });
});
