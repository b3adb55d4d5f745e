import { MeshBusyError, MeshDeadlineError, MeshError, MeshTooLargeError } from "@printfab/mesh";
import { describe, expect, it } from "vitest";
import type { AppError } from "../src/errors.ts";
import { meshTask, modelBytes, uploadRoute } from "../src/model-uploads.ts";

const refusal = async (err: Error) => (await meshTask(Promise.reject(err)).catch((e) => e)) as AppError;

describe("meshTask", () => {
  it("passes a result through", async () => {
    expect(await meshTask(Promise.resolve(42))).toBe(42);
  });

  it("answers each refusal of the mesh package by its code", async () => {
    const busy = await refusal(new MeshBusyError());
    expect([busy.statusCode, busy.code, busy.retryAfterSeconds]).toEqual([503, "busy", 2]);
    const big = await refusal(new MeshTooLargeError("the model expands to 9000000 triangles"));
    expect([big.statusCode, big.code]).toEqual([413, "model_too_large"]);
    const late = await refusal(new MeshDeadlineError(100));
    expect([late.statusCode, late.code]).toEqual([422, "model_deadline"]);
    const bad = await refusal(new MeshError("OBJ has no faces"));
    expect([bad.statusCode, bad.code, bad.message]).toEqual([422, "invalid_model", "OBJ has no faces"]);
  });

  it("leaves other errors alone", async () => {
    const other = new Error("socket hang up");
    expect(await meshTask(Promise.reject(other)).catch((e) => e)).toBe(other);
  });
});

describe("modelBytes", () => {
  it("takes a Buffer and refuses anything else with 400", () => {
    const bytes = Buffer.from("solid x");
    expect(modelBytes(bytes)).toBe(bytes);
    const err = (() => {
      try {
        modelBytes({ items: [] });
      } catch (e) {
        return e as AppError;
      }
    })();
    expect([err?.statusCode, err?.code]).toEqual([400, "bad_request"]);
  });
});

describe("uploadRoute", () => {
  it("gives the route its own body limit and marks it an upload for the limits and the parser", () => {
    expect(uploadRoute(1234)).toEqual({ bodyLimit: 1234, config: { upload: true } });
  });
});
