import { dbQueriesTotal } from "./metrics.ts";

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
  ) {
    this.#counter = dbQueriesTotal.labels(service);
  }

  get kind(): DatabaseDriver["kind"] {
    return this.driver.kind;
  }

  /** A view of the same connections that counts its statements under another service's label. */
  forService(service: string): Database {
    return new Database(this.driver, service);
  }

  async query<R = Row>(text: string, params?: readonly unknown[]): Promise<R[]> {
    this.#counter.inc();
    return (await this.driver.query(text, params)) as R[];
  }

  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const counter = this.#counter;
    // BEGIN and COMMIT/ROLLBACK are statements sent too.
    counter.inc(2);
    return this.driver.transaction((tx) =>
      fn({
        async query<R = Row>(text: string, params?: readonly unknown[]) {
          counter.inc();
          return (await tx.query(text, params)) as R[];
        },
        async exec(script: string) {
          counter.inc();
          await tx.exec(script);
        },
      }),
    );
  }

  close(): Promise<void> {
    return this.driver.close();
  }
}

/** True when the error is PostgreSQL's unique_violation (SQLSTATE 23505), from either driver. */
export const isUniqueViolation = (err: unknown): boolean => (err as { code?: string })?.code === "23505";
