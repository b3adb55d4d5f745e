import { describe, expect, it } from "vitest";
import { apiError } from "../app/lib/api-error.ts";

const body = (code: string, message: string) => ({ error: { code, message } });

describe("apiError", () => {
  it("keeps the API's code and says what a refused upload means", () => {
    const tooLarge = apiError(413, body("model_too_large", "more than 5000000 triangles"), null);
    expect(tooLarge.code).toBe("model_too_large");
    expect(tooLarge.message).toBe("The file is too large: more than 5000000 triangles");
    expect(apiError(422, body("invalid_model", "truncated binary STL"), null).message).toBe(
      "The file could not be read: truncated binary STL",
    );
  });

  it("tells when to retry", () => {
    expect(apiError(429, body("rate_limited", "slow down"), "12").message).toBe(
      "Too many requests. Try again in 12 s.",
    );
    expect(apiError(503, null, null).message).toBe("The service is busy or unreachable. Try again shortly.");
  });

  it("explains a conflict and a missing sign-in", () => {
    expect(apiError(409, body("conflict", "order 5 is shipped"), null).message).toBe(
      "Not possible any more: order 5 is shipped.",
    );
    expect(apiError(401, body("unauthorized", "no token"), null).message).toBe("Please sign in first.");
  });

  it("survives an answer that is not the error shape", () => {
    const err = apiError(500, "<html>", null);
    expect(err.code).toBe("http_500");
    expect(err.message).toBe("The request failed (HTTP 500).");
  });
});
