import { errorCodes } from "fastify";
import { describe, expect, it } from "vitest";
import {
  AppError,
  conflict,
  DependencyUnavailableError,
  notFound,
  toErrorResponse,
  unavailable,
} from "../src/errors.ts";

describe("toErrorResponse", () => {
  it("passes an AppError through", () => {
    expect(toErrorResponse(conflict("illegal_transition", "no"))).toEqual({
      statusCode: 409,
      body: { error: { code: "illegal_transition", message: "no" } },
      headers: {},
    });
    expect(toErrorResponse(notFound("order 3")).body.error.message).toBe("order 3 not found");
  });

  it("sends Retry-After for an AppError that says when to retry", () => {
    expect(toErrorResponse(unavailable("shutting_down", "stopping", 2))).toEqual({
      statusCode: 503,
      body: { error: { code: "shutting_down", message: "stopping" } },
      headers: { "retry-after": "2" },
    });
    expect(toErrorResponse(new AppError(429, "rate_limited", "slow down", 1.2)).headers).toEqual({
      "retry-after": "2",
    });
  });

  it.each([
    [new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(), 415, "unsupported_media_type"],
    [new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE(), 413, "payload_too_large"],
    [new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH(), 400, "bad_request"],
    [new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY(), 400, "bad_request"],
    [new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY(), 400, "bad_request"],
    [new errorCodes.FST_ERR_BAD_URL("%zz"), 400, "bad_request"],
    [new errorCodes.FST_ERR_INVALID_URL("x"), 400, "bad_request"],
    [new errorCodes.FST_ERR_ROUTE_MISSING_CONTENT_TYPE("POST"), 400, "bad_request"],
    [new errorCodes.FST_ERR_ROUTE_MISSING_CONTENT("POST"), 400, "bad_request"],
    [new errorCodes.FST_ERR_NOT_FOUND(), 404, "not_found"],
    [new errorCodes.FST_ERR_MAX_PARAM_LENGTH("id"), 414, "uri_too_long"],
    [new errorCodes.FST_ERR_VALIDATION("body/x must be integer"), 400, "bad_request"],
  ])("maps Fastify's %s by its code", (err, status, code) => {
    expect(toErrorResponse(err)).toEqual({
      statusCode: status,
      body: { error: { code, message: err.message } },
      headers: {},
    });
  });

  it("maps other framework and plugin errors by their status", () => {
    const withStatus = (statusCode: number, message: string) =>
      toErrorResponse(Object.assign(new Error(message), { statusCode }));
    // secure-json-parse's SyntaxError, to which Fastify adds the 400
    expect(withStatus(400, "Unexpected token n in JSON").body.error.code).toBe("bad_request");
    // @fastify/rate-limit's default error
    expect(withStatus(429, "Rate limit exceeded, retry in 1 minute").body).toEqual({
      error: { code: "rate_limited", message: "Rate limit exceeded, retry in 1 minute" },
    });
    expect(withStatus(408, "late").body.error.code).toBe("request_timeout");
    expect(withStatus(431, "big").body.error.code).toBe("headers_too_large");
    expect(withStatus(405, "no").body.error.code).toBe("method_not_allowed");
    expect(withStatus(413, "too large").body.error.code).toBe("payload_too_large");
  });

  it("answers 503 unavailable without the reason, for Fastify's handler timeout and under-pressure", () => {
    for (const err of [
      new errorCodes.FST_ERR_HANDLER_TIMEOUT(5000, "/orders/:id"),
      Object.assign(new Error("Service Unavailable"), { statusCode: 503, code: "FST_UNDER_PRESSURE" }),
    ]) {
      const res = toErrorResponse(err);
      expect([res.statusCode, res.body.error.code]).toEqual([503, "unavailable"]);
      expect(res.body.error.message).not.toMatch(/orders|5000|Service Unavailable/);
    }
  });

  it("treats a Fastify error no client can cause as a 500, whatever its status", () => {
    const res = toErrorResponse(new errorCodes.FST_ERR_CTP_INSTANCE_ALREADY_STARTED("addContentTypeParser"));
    expect(res).toEqual({
      statusCode: 500,
      body: { error: { code: "internal", message: "internal server error" } },
      headers: {},
    });
    expect(toErrorResponse(new errorCodes.FST_ERR_REP_ALREADY_SENT("/x", "GET")).statusCode).toBe(500);
  });

  it("answers a dependency outage 503 with Retry-After, naming the dependency but not the driver's text", () => {
    const cause = Object.assign(new Error("connect ECONNREFUSED 10.0.0.7:5432"), { code: "ECONNREFUSED" });
    expect(toErrorResponse(new DependencyUnavailableError("postgres", cause, 7))).toEqual({
      statusCode: 503,
      body: { error: { code: "dependency_unavailable", message: "postgres is unavailable; retry later" } },
      headers: { "retry-after": "7" },
    });
    // The structural contract that @printfab/storage's error follows without importing platform.
    const foreign = Object.assign(new Error("socket hang up at 10.0.0.9:9000"), {
      code: "dependency_unavailable",
      dependency: "object_store",
      retryAfterSeconds: 5,
    });
    const res = toErrorResponse(foreign);
    expect(res.statusCode).toBe(503);
    expect(res.headers).toEqual({ "retry-after": "5" });
    expect(res.body.error.message).toBe("object_store is unavailable; retry later");
  });

  it("never reveals a 5xx's internals", () => {
    expect(toErrorResponse(new Error("password=hunter2 at db.ts:12"))).toEqual({
      statusCode: 500,
      body: { error: { code: "internal", message: "internal server error" } },
      headers: {},
    });
    expect(toErrorResponse(Object.assign(new Error("upstream 10.0.0.1 said no"), { statusCode: 502 })).body).toEqual({
      error: { code: "internal", message: "internal server error" },
    });
    expect(toErrorResponse(new AppError(502, "neighbour_error", "MES failed")).statusCode).toBe(502);
  });
});
