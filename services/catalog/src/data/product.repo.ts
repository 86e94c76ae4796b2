// Product rows: one named query per need. Every function takes the executor it runs on (a transaction
// when the caller has one).
import { type Kysely, sql, type Transaction } from "kysely";
import type { Product, ProductStatus } from "../domain/product.ts";
import type { CatalogDatabase } from "./database.ts";

export type Db = Kysely<CatalogDatabase> | Transaction<CatalogDatabase>;

const PRODUCT_COLUMNS = [
  "sku",
  "name",
  "description",
  "brand",
  "category_path",
  "attributes",
  "status",
  "price_minor",
  "currency",
  "weight_grams",
  "version",
  "created_at",
  "updated_at",
] as const;

interface ProductRow {
  sku: string;
  name: string;
  description: string;
  brand: string;
  category_path: string;
  attributes: Record<string, unknown>;
  status: ProductStatus;
  price_minor: string;
  currency: string;
  weight_grams: number | null;
  version: string;
  created_at: Date;
  updated_at: Date;
}

export function productFromRow(row: ProductRow): Product {
  return {
    sku: row.sku,
    name: row.name,
    description: row.description,
    brand: row.brand,
    categoryPath: row.category_path,
    attributes: row.attributes,
    status: row.status,
    price: { amountMinor: BigInt(row.price_minor), currency: row.currency },
    ...(row.weight_grams !== null && { weightGrams: row.weight_grams }),
    version: Number(row.version),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface NewProduct {
  sku: string;
  name: string;
  description: string;
  brand: string;
  categoryPath: string;
  attributes: Record<string, unknown>;
  status: ProductStatus;
  price: { amountMinor: bigint; currency: string };
  weightGrams?: number | undefined;
  now: Date;
}

// ON CONFLICT DO NOTHING: undefined means the sku exists (the caller reports ALREADY_EXISTS).
export async function insertProduct(db: Db, product: NewProduct): Promise<Product | undefined> {
  const row = await db
    .insertInto("products")
    .values({
      sku: product.sku,
      name: product.name,
      description: product.description,
      brand: product.brand,
      category_path: product.categoryPath,
      attributes: JSON.stringify(product.attributes),
      status: product.status,
      price_minor: product.price.amountMinor.toString(),
      currency: product.price.currency,
      weight_grams: product.weightGrams ?? null,
      created_at: product.now,
      updated_at: product.now,
    })
    .onConflict((oc) => oc.column("sku").doNothing())
    .returning(PRODUCT_COLUMNS)
    .executeTakeFirst();
  return row ? productFromRow(row) : undefined;
}

export async function findProductForUpdate(db: Db, sku: string): Promise<Product | undefined> {
  const row = await db
    .selectFrom("products")
    .select(PRODUCT_COLUMNS)
    .where("sku", "=", sku)
    .forUpdate()
    .executeTakeFirst();
  return row ? productFromRow(row) : undefined;
}

export async function findProducts(db: Db, skus: readonly string[]): Promise<Product[]> {
  if (skus.length === 0) return [];
  const rows = await db
    .selectFrom("products")
    .select(PRODUCT_COLUMNS)
    .where("sku", "in", [...skus])
    .execute();
  return rows.map(productFromRow);
}

export interface ProductChanges {
  name?: string | undefined;
  description?: string | undefined;
  brand?: string | undefined;
  categoryPath?: string | undefined;
  attributes?: Record<string, unknown> | undefined;
  status?: ProductStatus | undefined;
  price?: { amountMinor: bigint; currency: string } | undefined;
  weightGrams?: number | undefined;
}

// The caller holds the row lock (findProductForUpdate); the version moves by one per change.
export async function saveProductChanges(
  db: Db,
  sku: string,
  changes: ProductChanges,
  now: Date,
): Promise<Product> {
  const row = await db
    .updateTable("products")
    .set(() => ({
      ...(changes.name !== undefined && { name: changes.name }),
      ...(changes.description !== undefined && { description: changes.description }),
      ...(changes.brand !== undefined && { brand: changes.brand }),
      ...(changes.categoryPath !== undefined && { category_path: changes.categoryPath }),
      ...(changes.attributes !== undefined && { attributes: JSON.stringify(changes.attributes) }),
      ...(changes.status !== undefined && { status: changes.status }),
      ...(changes.price !== undefined && {
        price_minor: changes.price.amountMinor.toString(),
        currency: changes.price.currency,
      }),
      ...(changes.weightGrams !== undefined && { weight_grams: changes.weightGrams }),
      version: sql<string>`version + 1`,
      updated_at: now,
    }))
    .where("sku", "=", sku)
    .returning(PRODUCT_COLUMNS)
    .executeTakeFirstOrThrow();
  return productFromRow(row);
}

export interface ProductFilter {
  category?: string | undefined;
  brand?: string | undefined;
  status: ProductStatus;
  inStockOnly: boolean;
  afterSku?: string | undefined;
  limit: number;
}

// Every product's sku, whatever its status, in sku order.
export async function listAllSkus(db: Db): Promise<string[]> {
  const rows = await db.selectFrom("products").select("sku").orderBy("sku").execute();
  return rows.map((row) => row.sku);
}

// Keyset pagination on sku (the primary key): stable under inserts, no OFFSET scans.
export async function listProductSkus(db: Db, filter: ProductFilter): Promise<string[]> {
  let query = db.selectFrom("products").select("products.sku").where("products.status", "=", filter.status);
  if (filter.category) {
    const category = filter.category;
    query = query.where((eb) =>
      eb.or([
        eb("products.category_path", "=", category),
        eb("products.category_path", "like", `${category}/%`),
      ]),
    );
  }
  if (filter.brand) query = query.where("products.brand", "=", filter.brand);
  if (filter.afterSku) query = query.where("products.sku", ">", filter.afterSku);
  if (filter.inStockOnly) {
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom("availability_by_warehouse as a")
          .select("a.sku")
          .whereRef("a.sku", "=", "products.sku")
          .where("a.available", ">", "0"),
      ),
    );
  }
  const rows = await query.orderBy("products.sku").limit(filter.limit).execute();
  return rows.map((row) => row.sku);
}
