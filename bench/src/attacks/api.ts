import { type Answer, send } from "./http-probe.ts";

export interface JsonAnswer extends Answer {
  /** The body parsed as JSON, or undefined. */
  json: unknown;
}

/** A JSON call as an ordinary client makes it: the probes' setup steps and their checks. */
export async function callJson(
  method: string,
  url: string,
  opts: { token?: string; body?: unknown; source: string; limitMs?: number },
): Promise<JsonAnswer> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const a = await send({
    url,
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    localAddress: opts.source,
    limitMs: opts.limitMs ?? 10_000,
  });
  let json: unknown;
  try {
    json = JSON.parse(a.body);
  } catch {
    json = undefined;
  }
  return { ...a, json };
}

/** A setup step that must succeed for the probe to mean anything; otherwise the probe reports it. */
export function expectStatus(a: JsonAnswer, status: number, step: string): JsonAnswer {
  if (a.status !== status) {
    throw new Error(`setup failed: ${step} answered ${a.status ?? a.outcome} ${a.body.slice(0, 120)}`);
  }
  return a;
}
