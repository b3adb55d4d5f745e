import type { Answer } from "./http-probe.ts";

/** Seconds with a precision that suits their size: "0.004 s", "1.3 s", "61 s". */
export function seconds(ms: number): string {
  const s = ms / 1000;
  if (s < 0.1) return `${s.toFixed(3)} s`;
  if (s < 10) return `${s.toFixed(1)} s`;
  return `${s.toFixed(0)} s`;
}

/** Bytes as a person reads them: "512 B", "64 KB", "90.0 MB". */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** The `error.code` of our error shape, if the body has it. */
export function errorCode(body: string): string | undefined {
  const code = (parseJson(body) as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === "string" ? code : undefined;
}

/** A JSON body's skeleton, keys without values: `{error:{code,message}}`; "empty"; or "text, N bytes". */
export function shapeOf(body: string): string {
  if (body.length === 0) return "empty body";
  const json = parseJson(body);
  if (json === undefined) return `non-JSON body, ${bytes(Buffer.byteLength(body))}`;
  const skeleton = (v: unknown, depth: number): string => {
    if (Array.isArray(v)) return "[…]";
    if (v === null || typeof v !== "object") return "";
    if (depth > 1) return "{…}";
    const keys = Object.entries(v).map(
      ([k, inner]) => `${k}${skeleton(inner, depth + 1) ? `:${skeleton(inner, depth + 1)}` : ""}`,
    );
    return `{${keys.join(",")}}`;
  };
  return skeleton(json, 0) || `JSON ${typeof json}`;
}

/** What a request got, for the table: "413 model_too_large", "connection closed after 1.2 s (ECONNRESET)". */
export function describeAnswer(a: Answer): string {
  switch (a.outcome) {
    case "answered": {
      const code = errorCode(a.body);
      return code ? `${a.status} ${code}` : `${a.status}`;
    }
    case "closed":
      return `connection closed after ${seconds(a.ms)}${a.error ? ` (${a.error})` : ""}`;
    case "limit":
      return `no answer within ${seconds(a.ms)} (our limit; we closed)`;
  }
}
