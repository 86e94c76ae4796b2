// The catalog migrations apply, and the database itself refuses bad products and stock rows.
import { fileURLToPath } from "node:url";
import { createTestSchema, type TestSchema } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const MIGRATIONS = fileURLToPath(new URL("../../../migrations/catalog", import.meta.url));

let schema: TestSchema;

beforeAll(async () => {
  schema = await createTestSchema({ migrations: MIGRATIONS });
});

afterAll(async () => {
  await schema?.drop();
});

async function insertProduct(sku: string, priceMinor: number, currency: string): Promise<void> {
  await schema.pool.query(
    "INSERT INTO products (sku, name, price_minor, currency) VALUES ($1, 'n', $2, $3)",
    [sku, priceMinor, currency],
  );
}

describe("catalog schema", () => {
  it("refuses crafted skus, negative prices and lower-case currencies", async () => {
    await insertProduct("OK-1", 100, "EUR");
    await expect(insertProduct("bad:sku", 100, "EUR")).rejects.toMatchObject({ code: "23514" });
    await expect(insertProduct("OK-2", -1, "EUR")).rejects.toMatchObject({ code: "23514" });
    await expect(insertProduct("OK-3", 1, "eur")).rejects.toMatchObject({ code: "23514" });
    await expect(insertProduct("OK-1", 1, "EUR")).rejects.toMatchObject({ code: "23505" });
  });

  it("derives totals by summing the per-warehouse rows", async () => {
    await schema.pool.query(
      `INSERT INTO availability_by_warehouse
         (sku, warehouse_code, available, on_hand, reserved, committed, level_version, updated_at)
       VALUES ('T-1', 'W1', 3, 5, 2, 0, 4, now()), ('T-1', 'W2', 7, 7, 0, 0, 1, now())`,
    );
    const { rows } = await schema.pool.query(
      "SELECT total_available, total_on_hand, warehouse_count FROM availability_totals WHERE sku = 'T-1'",
    );
    expect(rows[0]).toEqual({ total_available: "10", total_on_hand: "12", warehouse_count: 2 });
  });
});
