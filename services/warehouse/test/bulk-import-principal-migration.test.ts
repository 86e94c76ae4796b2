// The migration that scoped bulk import rows to a principal: rows already there take the principal of
// the caller whose ledger movements they wrote (a row without one a principal no caller has), and the
// key includes the principal.
import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { migrate } from "@stockroom/db";
import { UNSCOPED_PRINCIPAL } from "@stockroom/idempotency";
import { createTestSchema } from "@stockroom/testkit";
import { expect, it } from "vitest";

const MIGRATIONS = fileURLToPath(new URL("../../../migrations/warehouse", import.meta.url));
const SCOPING = "20261201233000_bulk_import_principal.sql";
const quiet = { info() {}, warn() {}, error() {} };

// A copy of the migrations folder holding the files that sort before (or up to) one of them.
async function migrationsUpTo(file: string, inclusive: boolean): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), "bulk-import-migrations-"));
  for (const name of await readdir(MIGRATIONS)) {
    if (name < file || (inclusive && name === file)) await cp(join(MIGRATIONS, name), join(directory, name));
  }
  return directory;
}

it("gives existing import rows the principal that applied them and keys rows by (principal, import, row)", async () => {
  const before = await migrationsUpTo(SCOPING, false);
  const through = await migrationsUpTo(SCOPING, true);
  const schema = await createTestSchema();
  try {
    await migrate({ pool: schema.pool, schema: schema.schema, directory: before, logger: quiet });
    await schema.pool.query(`
      INSERT INTO warehouses (code, name, capacity_units) VALUES ('W', 'W', 100);
      INSERT INTO stock_levels (warehouse_code, sku) VALUES ('W', 'S');
      INSERT INTO stock_movements (warehouse_code, sku, reason, actor, reference_type, reference_id,
          on_hand_delta, on_hand_after, reserved_after, committed_after, safety_stock_after, damaged_after,
          quality_control_after, incoming_after, level_version)
        VALUES ('W', 'S', 'adjust_found', 'ops-anna', 'bulk_import', 'imp-1#1', 3, 3, 0, 0, 0, 0, 0, 0, 1);
      INSERT INTO bulk_import_rows (import_id, row_number, fingerprint, result)
        VALUES ('imp-1', 1, 'f1', '\\x7b7d'), ('imp-1', 2, 'f2', '\\x7b7d');`);
    const applied = await migrate({
      pool: schema.pool,
      schema: schema.schema,
      directory: through,
      logger: quiet,
    });
    expect(applied.applied).toEqual([SCOPING.slice(0, -".sql".length)]);

    const { rows } = await schema.pool.query(
      "SELECT principal, import_id, row_number FROM bulk_import_rows ORDER BY row_number",
    );
    expect(rows).toEqual([
      { principal: "ops-anna", import_id: "imp-1", row_number: 1 },
      { principal: UNSCOPED_PRINCIPAL, import_id: "imp-1", row_number: 2 },
    ]);

    // Another caller's row 1 of imp-1 is a row of its own; the same caller's twice is refused.
    await schema.pool.query(
      "INSERT INTO bulk_import_rows (principal, import_id, row_number, fingerprint, result) VALUES ('ops-ben', 'imp-1', 1, 'f', '')",
    );
    await expect(
      schema.pool.query(
        "INSERT INTO bulk_import_rows (principal, import_id, row_number, fingerprint, result) VALUES ('ops-anna', 'imp-1', 1, 'f', '')",
      ),
    ).rejects.toMatchObject({ code: "23505" });
    await expect(
      schema.pool.query(
        "INSERT INTO bulk_import_rows (import_id, row_number, fingerprint, result) VALUES ('imp-2', 1, 'f', '')",
      ),
    ).rejects.toMatchObject({ code: "23502" });
    await expect(
      schema.pool.query(
        "INSERT INTO bulk_import_rows (principal, import_id, row_number, fingerprint, result) VALUES ('', 'imp-2', 1, 'f', '')",
      ),
    ).rejects.toMatchObject({ code: "23514" });

    const key = await schema.pool.query<{ columns: string[] }>(
      `SELECT array_agg(a.attname::text ORDER BY k.ordinality) AS columns
       FROM pg_index i
       CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ordinality)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
       WHERE i.indrelid = 'bulk_import_rows'::regclass AND i.indisprimary`,
    );
    expect(key.rows[0]?.columns).toEqual(["principal", "import_id", "row_number"]);
  } finally {
    await schema.drop();
    await rm(before, { recursive: true, force: true });
    await rm(through, { recursive: true, force: true });
  }
});
