import { describe, expect, it } from "vitest";
import { AppError, conflict, notFound, toErrorResponse } from "../src/errors.ts";

describe("toErrorResponse", () => {
  it("passes an AppError through", () => {
    expect(toErrorResponse(conflict("illegal_transition", "no"))).toEqual({
      statusCode: 409,
      body: { error: { code: "illegal_transition", message: "no" } },
    });
    expect(toErrorResponse(notFound("order 3")).body.error.message).toBe("order 3 not found");
  });

  it("maps validation and framework 4xx errors", () => {
    expect(toErrorResponse(Object.assign(new Error("body/x must be integer"), { validation: [] }))).toEqual({
      statusCode: 400,
      body: { error: { code: "bad_request", message: "body/x must be integer" } },
    });
    expect(toErrorResponse(Object.assign(new Error("too large"), { statusCode: 413 })).body.error.code).toBe(
      "payload_too_large",
    );
  });

  it("never reveals a 5xx's internals", () => {
    const res = toErrorResponse(new Error("password=hunter2 at db.ts:12"));
    expect(res.statusCode).toBe(500);
    expect(JSON.stringify(res.body)).not.toMatch(/hunter2|db\.ts/);
    expect(toErrorResponse(new AppError(502, "neighbour_error", "MES failed")).statusCode).toBe(502);
  });
});
