import { isSocketError } from "@printfab/storage";
import pg from "pg";
import type { DatabaseDriver, Row } from "./database.ts";

const INT8 = 20;
const NUMERIC = 1700;

// Ids and counts are int8; every one of ours fits in a double, and JSON clients want numbers.
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8 || oid === NUMERIC) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
};

/** pg's own words for a connection that can no longer be trusted: gone, or silent past query_timeout. */
const CONNECTION_LOST = /^Query read timeout|^Connection terminated|not queryable/;

/**
 * A pool whose every wait has a deadline: connecting, each statement on the client (`query_timeout`: a
 * server that went silent never cancels anything) and, a little sooner, on the server
 * (`statement_timeout`, which leaves the connection usable). TCP keepalive notices a peer that vanished.
 */
export function createPostgresDriver(url: string, poolSize: number, timeoutMs = 5000): DatabaseDriver {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    types,
    connectionTimeoutMillis: Math.min(2000, timeoutMs),
    statement_timeout: Math.max(50, timeoutMs - Math.min(250, timeoutMs / 4)),
    query_timeout: timeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: 5000,
    idleTimeoutMillis: 30_000,
    application_name: "printfab",
  });
  // An idle client's error (a server restart) must not crash the process; the next query reconnects.
  pool.on("error", () => {});
  return {
    kind: "postgres",
    async query(text, params) {
      const res = await pool.query(text, params as unknown[] | undefined);
      return res.rows as Row[];
    },
    async transaction(fn) {
      const client = await pool.connect();
      // The pool listens for errors of idle clients only: without a listener of ours, a connection the
      // server drops mid-transaction (restart, failover) is an uncaught 'error' that ends the process.
      // The statement under way reports it; the client is then discarded rather than reused.
      let lost: Error | undefined;
      const onError = (err: Error) => {
        lost = err;
      };
      client.on("error", onError);
      try {
        await client.query("BEGIN");
        const result = await fn({
          query: async (text, params) => (await client.query(text, params as unknown[] | undefined)).rows as Row[],
          exec: async (script) => {
            await client.query(script);
          },
        });
        await client.query("COMMIT");
        return result;
      } catch (err) {
        // On a lost or silent connection a ROLLBACK would wait out its own deadline behind the failed
        // statement; the server rolls back when the connection is dropped, so drop it instead.
        if (lost || CONNECTION_LOST.test((err as Error).message ?? "") || isSocketError(err)) lost ??= err as Error;
        // A ROLLBACK that fails leaves the connection in an unknown state: it is dropped too.
        else await client.query("ROLLBACK").catch((rollbackErr: Error) => (lost ??= rollbackErr));
        throw err;
      } finally {
        client.removeListener("error", onError);
        client.release(lost);
      }
    },
    close: () => pool.end(),
  };
}
