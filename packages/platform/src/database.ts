import { isSocketError } from "@printfab/storage";
import type { Counter } from "prom-client";
import { DependencyUnavailableError } from "./errors.ts";
import { PlatformMetrics } from "./metrics.ts";
import { traceStatement } from "./tracing-database.ts";

export type Row = Record<string, unknown>;

/** Something that runs SQL: the database itself or an open transaction. */
export interface Queryable {
  query<R = Row>(text: string, params?: readonly unknown[]): Promise<R[]>;
}

/** What a driver (pg or PGlite) provides; the Database wraps it to count every statement. */
export interface DatabaseDriver {
  readonly kind: "postgres" | "pglite";
  query(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a multi-statement script (migrations) on one connection inside `transaction`. */
  transaction<T>(fn: (tx: DriverTransaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DriverTransaction {
  query(text: string, params?: readonly unknown[]): Promise<Row[]>;
  exec(script: string): Promise<void>;
}

export interface Transaction extends Queryable {
  exec(script: string): Promise<void>;
}

/** The one database interface of Printfab; `db_queries_total{service}` is counted here and nowhere else. */
export class Database implements Queryable {
  readonly #counter;

  constructor(
    readonly driver: DatabaseDriver,
    readonly service: string,
    /** `db_queries_total` of the process's registry; a database of its own counts for itself. */
    private readonly queries: Counter<"service"> = new PlatformMetrics().dbQueries,
  ) {
    this.#counter = queries.labels(service);
  }

  get kind(): DatabaseDriver["kind"] {
    return this.driver.kind;
  }

  /** A view of the same connections that counts its statements under another service's label. */
  forService(service: string): Database {
    return new Database(this.driver, service, this.queries);
  }

  async query<R = Row>(text: string, params?: readonly unknown[]): Promise<R[]> {
    this.#counter.inc();
    const kind = this.driver.kind;
    return (await traceStatement(kind, text, () => this.driver.query(text, params).catch(rethrowClassified))) as R[];
  }

  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return traceStatement(this.driver.kind, undefined, () => this.#transaction(fn));
  }

  async #transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const { driver } = this;
    const counter = this.#counter;
    // BEGIN and COMMIT/ROLLBACK are statements sent too.
    counter.inc(2);
    let fromFn: unknown;
    try {
      return await driver.transaction((tx) =>
        fn({
          async query<R = Row>(text: string, params?: readonly unknown[]) {
            counter.inc();
            const run = () => tx.query(text, params).catch(rethrowClassified);
            return (await traceStatement(driver.kind, text, run)) as R[];
          },
          async exec(script: string) {
            counter.inc();
            await traceStatement(driver.kind, script, () => tx.exec(script).catch(rethrowClassified));
          },
        }).catch((err: unknown) => {
          fromFn = err;
          throw err;
        }),
      );
    } catch (err) {
      // What `fn` throws passes as it is: its statements are classified above, and a socket error of
      // anything else it calls (a neighbour, the store) is not PostgreSQL's. Connect, BEGIN, COMMIT are.
      if (err === fromFn) throw err;
      rethrowClassified(err);
    }
  }

  close(): Promise<void> {
    return this.driver.close();
  }
}

// SQLSTATEs of a server that is going away, full or too slow: admin_shutdown, crash_shutdown,
// cannot_connect_now, too_many_connections, query_canceled (our statement_timeout). Class 08
// (connection_exception) is matched by its prefix.
const UNAVAILABLE_SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300", "57014"]);
// pg and pg-pool report a lost connection, a connect timeout or a silent server (query_timeout) with
// these messages and no code.
const PG_CONNECTION_MESSAGE =
  /^Connection terminated|^timeout exceeded when trying to connect|connection error and is not queryable|^Query read timeout/;

/**
 * True when the error says PostgreSQL cannot be reached rather than that the statement is wrong;
 * a caller's mistake (unique violation, syntax) is not one, and is mapped where it is expected.
 */
function isConnectionFailure(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === "string") {
    if (isSocketError(err) || UNAVAILABLE_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  return typeof message === "string" && PG_CONNECTION_MESSAGE.test(message);
}

/** Rethrows a connection failure as the 503 DependencyUnavailableError, any other error as it is. */
function rethrowClassified(err: unknown): never {
  throw isConnectionFailure(err) ? new DependencyUnavailableError("postgres", err) : err;
}

/** True when the error is PostgreSQL's unique_violation (SQLSTATE 23505), from either driver. */
export const isUniqueViolation = (err: unknown): boolean => (err as { code?: string })?.code === "23505";
