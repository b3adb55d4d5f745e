/** An error whose message is safe to show to the client, with its HTTP status and a stable code. */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const badRequest = (message: string) => new AppError(400, "bad_request", message);
export const unauthorized = (message: string) => new AppError(401, "unauthorized", message);
export const forbidden = (message: string) => new AppError(403, "forbidden", message);
export const notFound = (what: string) => new AppError(404, "not_found", `${what} not found`);
export const conflict = (code: string, message: string) => new AppError(409, code, message);
export const unprocessable = (code: string, message: string) => new AppError(422, code, message);

export interface ErrorBody {
  error: { code: string; message: string };
}

/** Maps any thrown value to the JSON error of DESIGN.md section 7; 5xx never reveal internals. */
export function toErrorResponse(err: unknown): { statusCode: number; body: ErrorBody } {
  if (err instanceof AppError) {
    return { statusCode: err.statusCode, body: { error: { code: err.code, message: err.message } } };
  }
  const e = err as { statusCode?: number; code?: string; message?: string; validation?: unknown };
  if (e?.validation) {
    return { statusCode: 400, body: { error: { code: "bad_request", message: e.message ?? "invalid request" } } };
  }
  const status = typeof e?.statusCode === "number" ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    return { statusCode: status, body: { error: { code: fastifyCode(status), message: e.message ?? "bad request" } } };
  }
  return { statusCode: 500, body: { error: { code: "internal", message: "internal server error" } } };
}

function fastifyCode(status: number): string {
  switch (status) {
    case 413:
      return "payload_too_large";
    case 415:
      return "unsupported_media_type";
    case 404:
      return "not_found";
    default:
      return "bad_request";
  }
}
