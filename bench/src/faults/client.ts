import { Agent, request } from "undici";

/** One request as the load saw it: when it began and ended, whether it succeeded, and how it failed. */
export interface Sample {
  kind: "read" | "write";
  /** What it read or wrote, e.g. "Shop B product page", "price via Shop A". */
  what: string;
  t0: number;
  t1: number;
  ok: boolean;
  /** A read that saw less than what was acknowledged before it began. */
  stale: boolean;
  /** For a stale read: how long before it began the write it missed was acknowledged (ms). */
  missedByMs?: number;
  /** For a stale read: the entities it saw old (ledger keys, `p:7`). */
  staleEntities?: string[];
  /** HTTP status, or the network error's code (ECONNRESET, ECONNREFUSED, UND_ERR_SOCKET...). */
  outcome: string;
}

export interface Answer {
  status: number;
  body: Buffer;
}

const errorCode = (err: unknown): string => {
  const e = err as { code?: string; cause?: { code?: string }; name?: string };
  return e.cause?.code ?? e.code ?? e.name ?? "error";
};

/**
 * The load's HTTP client. Deadlines well past the services' own, so a request the system leaves hanging
 * still ends (and counts as an error) and every scenario stops by itself.
 */
export class LoadClient {
  readonly #agent = new Agent({ connections: 256, headersTimeout: 15_000, bodyTimeout: 15_000 });

  /** Sends one request; never throws: a network failure is an answer of status 0 with its code. */
  async send(
    url: string,
    init: { method?: "GET" | "POST" | "PATCH"; headers?: Record<string, string>; body?: string } = {},
  ): Promise<{ answer?: Answer; code: string; t0: number; t1: number }> {
    const t0 = performance.now();
    try {
      const res = await request(url, {
        method: init.method ?? "GET",
        headers: init.headers,
        body: init.body,
        dispatcher: this.#agent,
      });
      const body = Buffer.from(await res.body.arrayBuffer());
      return { answer: { status: res.statusCode, body }, code: String(res.statusCode), t0, t1: performance.now() };
    } catch (err) {
      return { code: errorCode(err), t0, t1: performance.now() };
    }
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}
