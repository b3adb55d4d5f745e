import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import type { DatabaseDriver, Row } from "./database.ts";

/** The embedded PostgreSQL of `npm start`: a folder on disk, or memory when `dataDir` is undefined. */
export async function createPgliteDriver(dataDir: string | undefined): Promise<DatabaseDriver> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir, {
    parsers: { 20: (v: string) => Number(v), 1700: (v: string) => Number(v) },
  });
  return {
    kind: "pglite",
    async query(text, params) {
      const res = await db.query<Row>(text, params as unknown[] | undefined);
      return res.rows;
    },
    transaction: (fn) =>
      db.transaction((tx) =>
        fn({
          query: async (text, params) => (await tx.query<Row>(text, params as unknown[] | undefined)).rows,
          exec: async (script) => {
            await tx.exec(script);
          },
        }),
      ),
    close: () => db.close(),
  };
}
