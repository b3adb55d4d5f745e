import { MeshError } from "@printfab/mesh";
import { AppError, badRequest, unprocessable } from "./errors.ts";

/**
 * Options of a route that takes a 3D file: a body limit of its own (a 413 above it), and `config.upload`,
 * which the per-client upload limits and the model content-type parser (`acceptModelUploads`) look for.
 */
export function uploadRoute(bodyLimitBytes: number) {
  return { bodyLimit: bodyLimitBytes, config: { upload: true } };
}

/** The uploaded file of a model route, or a 400 when the request carried none. */
export function modelBytes(body: unknown): Buffer {
  if (!Buffer.isBuffer(body)) {
    throw badRequest(
      "send the 3D file (STL, OBJ or 3MF) as the request body, e.g. content-type application/octet-stream",
    );
  }
  return body;
}

/** A mesh computation's refusal as the HTTP error (docs/architecture.md): by the mesh package's stable code. */
export async function meshTask<T>(task: Promise<T>): Promise<T> {
  try {
    return await task;
  } catch (err) {
    if (!(err instanceof MeshError)) throw err;
    switch (err.code) {
      case "busy":
        // Every 3D worker and its queue are full: the client may retry soon, as for any overload.
        throw new AppError(503, "busy", err.message, 2);
      case "model_too_large":
        throw new AppError(413, "model_too_large", err.message);
      case "model_deadline":
        throw unprocessable("model_deadline", err.message);
      default:
        throw unprocessable("invalid_model", err.message);
    }
  }
}
