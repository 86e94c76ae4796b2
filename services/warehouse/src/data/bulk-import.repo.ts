// Rows of bulk adjustment imports already applied, with the result each returned, per caller (principal):
// two callers' imports never share rows. Claiming a row inserts it first, so a concurrent upload of the
// same row waits on the primary key and then sees it.
import { sql } from "kysely";
import type { Db } from "./stock.repo.ts";

export type ImportRowClaim =
  | { status: "claimed" }
  | { status: "applied"; fingerprint: string; result: unknown };

export async function claimImportRow(
  db: Db,
  row: { principal: string; importId: string; rowNumber: number; fingerprint: string },
): Promise<ImportRowClaim> {
  const { rows } = await sql<{ claimed: number }>`
    INSERT INTO bulk_import_rows (principal, import_id, row_number, fingerprint, result)
    VALUES (${row.principal}, ${row.importId}, ${row.rowNumber}, ${row.fingerprint}, ''::bytea)
    ON CONFLICT (principal, import_id, row_number) DO NOTHING
    RETURNING 1 AS claimed`.execute(db);
  if (rows.length > 0) return { status: "claimed" };
  const stored = await db
    .selectFrom("bulk_import_rows")
    .select(["fingerprint", "result"])
    .where("principal", "=", row.principal)
    .where("import_id", "=", row.importId)
    .where("row_number", "=", row.rowNumber)
    .executeTakeFirstOrThrow();
  return {
    status: "applied",
    fingerprint: stored.fingerprint,
    result: JSON.parse(Buffer.from(stored.result).toString("utf8")),
  };
}

export async function storeImportRowResult(
  db: Db,
  row: { principal: string; importId: string; rowNumber: number; result: unknown },
): Promise<void> {
  await db
    .updateTable("bulk_import_rows")
    .set({ result: Buffer.from(JSON.stringify(row.result), "utf8") })
    .where("principal", "=", row.principal)
    .where("import_id", "=", row.importId)
    .where("row_number", "=", row.rowNumber)
    .execute();
}
