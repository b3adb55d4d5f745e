/** An error whose message is safe to show to the client, with its HTTP status and a stable code. */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    /** Sent as `Retry-After` when the client may try again later (429, 503). */
    readonly retryAfterSeconds?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "AppError";
  }
}

export const badRequest = (message: string) => new AppError(400, "bad_request", message);
export const unauthorized = (message: string) => new AppError(401, "unauthorized", message);
export const forbidden = (message: string) => new AppError(403, "forbidden", message);
export const notFound = (what: string) => new AppError(404, "not_found", `${what} not found`);
export const conflict = (code: string, message: string) => new AppError(409, code, message);
export const unprocessable = (code: string, message: string) => new AppError(422, code, message);
export const unavailable = (code: string, message: string, retryAfterSeconds: number) =>
  new AppError(503, code, message, retryAfterSeconds);

export const DEPENDENCY_UNAVAILABLE = "dependency_unavailable";

/**
 * The structural contract of "a dependency is down, retry later": any error with this `code`, the
 * `dependency` it names and `retryAfterSeconds` answers 503. Structural rather than a class, because
 * adapters outside platform (@printfab/storage's ObjectStoreUnavailableError) must not depend on it.
 */
export interface DependencyFailure {
  code: typeof DEPENDENCY_UNAVAILABLE;
  dependency: string;
  retryAfterSeconds: number;
}

export const isDependencyFailure = (err: unknown): err is DependencyFailure => {
  const e = err as Partial<DependencyFailure> | null | undefined;
  return (
    e?.code === DEPENDENCY_UNAVAILABLE && typeof e.dependency === "string" && typeof e.retryAfterSeconds === "number"
  );
};

/** A dependency of platform's own (PostgreSQL) cannot be reached; the original error is the `cause`. */
export class DependencyUnavailableError extends AppError {
  constructor(
    readonly dependency: string,
    cause: unknown,
    retryAfterSeconds = 5,
  ) {
    super(503, DEPENDENCY_UNAVAILABLE, `${dependency} is unavailable`, retryAfterSeconds, { cause });
    this.name = "DependencyUnavailableError";
  }
}

export interface ErrorBody {
  error: { code: string; message: string };
}

export interface ErrorReply {
  statusCode: number;
  body: ErrorBody;
  /** Headers the answer must carry, e.g. `retry-after`; empty when none. */
  headers: Record<string, string>;
}

const respond = (statusCode: number, code: string, message: string, retryAfterSeconds?: number): ErrorReply => ({
  statusCode,
  body: { error: { code, message } },
  headers: retryAfterSeconds === undefined ? {} : { "retry-after": String(Math.ceil(retryAfterSeconds)) },
});

// The errors of Fastify and its plugins a client can cause, by their `code`; any other FST_ code (a
// route declared twice, a reply sent twice...) is a bug of ours, a 500 whatever status it carries.
const FASTIFY_CLIENT_ERRORS: Record<string, number> = {
  FST_ERR_VALIDATION: 400,
  FST_ERR_CTP_INVALID_JSON_BODY: 400,
  FST_ERR_CTP_EMPTY_JSON_BODY: 400,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 400,
  FST_ERR_BAD_URL: 400,
  FST_ERR_INVALID_URL: 400,
  FST_ERR_ROUTE_MISSING_CONTENT_TYPE: 400,
  FST_ERR_ROUTE_MISSING_CONTENT: 400,
  FST_ERR_NOT_FOUND: 404,
  FST_ERR_CTP_BODY_TOO_LARGE: 413,
  FST_ERR_MAX_PARAM_LENGTH: 414,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 415,
  FST_ERR_HANDLER_TIMEOUT: 503,
  // @fastify/under-pressure
  FST_UNDER_PRESSURE: 503,
};

// Our stable code for each status a framework or plugin error may carry; other 4xx are `bad_request`.
const CODE_BY_STATUS: Record<number, string> = {
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  408: "request_timeout",
  413: "payload_too_large",
  414: "uri_too_long",
  415: "unsupported_media_type",
  429: "rate_limited",
  431: "headers_too_large",
  503: "unavailable",
};

/** Maps any thrown value to the JSON error of docs/architecture.md; 5xx never reveal internals. */
export function toErrorResponse(err: unknown): ErrorReply {
  if (isDependencyFailure(err)) {
    // Built from the dependency's name, never from a message that may quote the driver.
    return respond(503, err.code, `${err.dependency} is unavailable; retry later`, err.retryAfterSeconds);
  }
  if (err instanceof AppError) return respond(err.statusCode, err.code, err.message, err.retryAfterSeconds);
  return frameworkResponse(err as FrameworkError);
}

type FrameworkError = { statusCode?: unknown; code?: unknown; message?: unknown } | null | undefined;

/** Errors of Fastify, its plugins and Node's parsers: by Fastify code first, else by their status. */
function frameworkResponse(e: FrameworkError): ErrorReply {
  const fastifyCode = typeof e?.code === "string" && e.code.startsWith("FST_") ? e.code : undefined;
  const status = fastifyCode ? FASTIFY_CLIENT_ERRORS[fastifyCode] : e?.statusCode;
  if (typeof status !== "number" || status < 400 || (status >= 500 && status !== 503)) {
    return respond(500, "internal", "internal server error");
  }
  if (status === 503) return respond(503, "unavailable", "the service is unavailable; retry later");
  const message = typeof e?.message === "string" && e.message ? e.message : "bad request";
  return respond(status, CODE_BY_STATUS[status] ?? "bad_request", message);
}
