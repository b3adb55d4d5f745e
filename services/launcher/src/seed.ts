import { MATERIALS, ORDER_STATUSES, type OrderStatus } from "@printfab/contracts";
import { box, cylinder, gear, type Mesh, type MeshPool, sphere, toBinaryStl, torus, tube } from "@printfab/mesh";
import type { Database } from "@printfab/platform";
import { ModelCatalog } from "@printfab/shop";
import type { ObjectStore } from "@printfab/storage";
import { createRandom, type Random } from "./random.ts";
import { type CatalogueRow, OrderBatch } from "./seed-orders.ts";

export interface SeedSizes {
  products: number;
  customers: number;
  orders: number;
}

export const DEMO_SIZES: SeedSizes = { products: 2000, customers: 200, orders: 5000 };

export type SeedProgress = (phase: "products" | "customers" | "orders" | "models", done: number, total: number) => void;

export const CATEGORIES = [
  "brackets",
  "enclosures",
  "gears",
  "figurines",
  "tools",
  "cosplay",
  "home",
  "automotive",
  "drones",
  "education",
] as const;

const ADJECTIVES = [
  "compact",
  "sturdy",
  "modular",
  "slim",
  "heavy-duty",
  "precision",
  "vented",
  "hinged",
  "classic",
  "custom",
];
const NOUNS: Record<(typeof CATEGORIES)[number], string[]> = {
  brackets: ["shelf bracket", "corner brace", "wall mount", "L-bracket"],
  enclosures: ["Raspberry Pi case", "junction box", "sensor housing", "battery box"],
  gears: ["spur gear", "helical gear", "planetary set", "worm gear"],
  figurines: ["dragon", "knight", "robot", "owl"],
  tools: ["cable clip", "spool holder", "calibration cube", "drill guide"],
  cosplay: ["helmet visor", "armor plate", "prop blaster", "mask"],
  home: ["planter", "hook", "coaster", "lamp shade"],
  automotive: ["phone mount", "cup holder", "vent clip", "trim clip"],
  drones: ["propeller guard", "camera mount", "arm", "landing gear"],
  education: ["molecule kit", "globe", "puzzle", "gear train demo"],
};
const FIRST = [
  "Ada",
  "Björn",
  "Chloé",
  "Dmitri",
  "Elif",
  "Femi",
  "Grace",
  "Hiro",
  "Ines",
  "Jonas",
  "Kai",
  "Lena",
  "Mateo",
  "Noor",
  "Olga",
];
const LAST = [
  "Lovelace",
  "Berg",
  "Martin",
  "Ivanov",
  "Yilmaz",
  "Adeyemi",
  "Hopper",
  "Tanaka",
  "Silva",
  "Weber",
  "Nakamura",
  "Fischer",
];
const STREETS = ["Main St", "Harbour Rd", "Mill Lane", "Station Ave", "Kingsway", "Elm Row"];

const BATCH = 2000;

async function inBatches(
  total: number,
  fn: (from: number, count: number) => Promise<void>,
  tick: (done: number) => void,
) {
  for (let from = 0; from < total; from += BATCH) {
    const count = Math.min(BATCH, total - from);
    await fn(from, count);
    tick(from + count);
  }
}

async function seedProducts(db: Database, rnd: Random, n: number, progress: SeedProgress) {
  await inBatches(
    n,
    async (_from, count) => {
      const rows = Array.from({ length: count }, () => {
        const category = rnd.pick(CATEGORIES);
        const name = `${rnd.pick(ADJECTIVES)} ${rnd.pick(NOUNS[category])}`;
        return {
          name: name.charAt(0).toUpperCase() + name.slice(1),
          description: `A ${name} for ${category}, printed to order. Tested fit, clean surfaces.`,
          category,
          material: rnd.pick(MATERIALS),
          price: rnd.int(199, 49_999),
        };
      });
      await db.query(
        `INSERT INTO shop.products (name, description, category, material, price_cents)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])`,
        [
          rows.map((r) => r.name),
          rows.map((r) => r.description),
          rows.map((r) => r.category),
          rows.map((r) => r.material),
          rows.map((r) => r.price),
        ],
      );
    },
    (done) => progress("products", done, n),
  );
}

async function seedCustomers(db: Database, rnd: Random, n: number, progress: SeedProgress) {
  // Emails must be unique across runs that append, so they carry the next id.
  const [{ next } = { next: 1 }] = await db.query<{ next: number }>(
    "SELECT coalesce(max(id), 0) + 1 AS next FROM crm.customers",
  );
  await inBatches(
    n,
    async (from, count) => {
      const rows = Array.from({ length: count }, (_, i) => {
        const first = rnd.pick(FIRST);
        const last = rnd.pick(LAST);
        const serial = next + from + i;
        return {
          name: `${first} ${last}`,
          // ASCII only: the API's email format refuses "björn@...", so a customer could not send theirs back.
          email: `${first}.${last}.${serial}@example.com`
            .normalize("NFD")
            .replace(/[^\x20-\x7e]/g, "")
            .toLowerCase(),
          phone: `+44 20 ${rnd.int(1000, 9999)} ${rnd.int(1000, 9999)}`,
          address: `${rnd.int(1, 200)} ${rnd.pick(STREETS)}, Springfield`,
        };
      });
      await db.query(
        `INSERT INTO crm.customers (name, email, phone, address)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])`,
        [rows.map((r) => r.name), rows.map((r) => r.email), rows.map((r) => r.phone), rows.map((r) => r.address)],
      );
    },
    (done) => progress("customers", done, n),
  );
}

async function seedOrders(db: Database, rnd: Random, n: number, progress: SeedProgress) {
  const products = await db.query<CatalogueRow>("SELECT id, name, price_cents FROM shop.products");
  const customers = (await db.query<{ id: number }>("SELECT id FROM crm.customers")).map((c) => c.id);
  if (products.length === 0 || customers.length === 0)
    throw new Error("orders need products and customers to refer to");
  await inBatches(
    n,
    async (from, count) => {
      await db.transaction(async (tx) => {
        // Ids are reserved first so that items and history can refer to them in the same batch.
        const ids = (
          await tx.query<{ id: number }>(
            "SELECT nextval(pg_get_serial_sequence('mes.orders', 'id')) AS id FROM generate_series(1, $1)",
            [count],
          )
        ).map((r) => r.id);
        const batch = new OrderBatch();
        ids.forEach((id, i) => {
          // Every status is represented: the statuses take turns, the rest is random.
          const status = ORDER_STATUSES[(from + i) % ORDER_STATUSES.length] as OrderStatus;
          batch.add(id, status, rnd, rnd.pick(customers), products);
        });
        await batch.insert(tx);
      });
    },
    (done) => progress("orders", done, n),
  );
}

/** Appends a data set of the given sizes; deterministic for a given `seed`. Uses multi-row inserts. */
export async function seed(
  db: Database,
  sizes: SeedSizes,
  progress: SeedProgress = () => {},
  seedValue = 42,
): Promise<void> {
  const rnd = createRandom(seedValue);
  await seedProducts(db, rnd, sizes.products, progress);
  await seedCustomers(db, rnd, sizes.customers, progress);
  await seedOrders(db, rnd, sizes.orders, progress);
}

/** The demo catalogue's models: procedural solids at several resolutions (boxes, cylinders, tori, gears, spheres). */
export function demoModels(): Mesh[] {
  const models: Mesh[] = [];
  for (const k of [1, 2, 3]) {
    models.push(box(10 * k, 20, 5 + 5 * k), cylinder(6 * k, 30, 16 * k), tube(12 * k, 8 * k, 10, 24 * k));
    models.push(torus(15 * k, 4, 24 * k, 12 * k), gear(8 + 6 * k, 20 + 5 * k, 6), sphere(8 * k, 16 * k, 8 * k));
  }
  return models;
}

/**
 * Stores the demo models with their metadata and previews (content-addressed, so a second run adds
 * nothing) and gives every product without a model one of them.
 */
export async function seedModels(
  db: Database,
  store: ObjectStore,
  pool: MeshPool,
  progress: SeedProgress = () => {},
): Promise<void> {
  const catalog = new ModelCatalog(store, pool);
  const meshes = demoModels();
  const stored: Array<{ modelKey: string; sha256: string }> = [];
  for (const mesh of meshes) {
    stored.push(await catalog.ingest(toBinaryStl(mesh)));
    progress("models", stored.length, meshes.length);
  }
  await db.query(
    `UPDATE shop.products p SET model_key = m.key, model_sha256 = m.sha
     FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS m(key, sha, n)
     WHERE p.model_key IS NULL AND p.id % $3 = m.n - 1`,
    [stored.map((m) => m.modelKey), stored.map((m) => m.sha256), stored.length],
  );
}

/** Removes every product, customer and order (for `npm run seed -- --reset`). */
export async function resetData(db: Database): Promise<void> {
  await db.query(
    "TRUNCATE shop.products, crm.customers, mes.orders, mes.order_items, mes.order_status_history RESTART IDENTITY",
  );
}

export async function isEmpty(db: Database): Promise<boolean> {
  const rows = await db.query("SELECT 1 FROM shop.products LIMIT 1");
  return rows.length === 0;
}
