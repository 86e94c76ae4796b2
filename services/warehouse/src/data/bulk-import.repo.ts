// Rows of bulk adjustment imports already applied, with the result each returned, per caller (principal):
// two callers' imports never share rows. A chunk of rows is claimed first, in one INSERT in row order, so
// a concurrent upload of the same rows waits on the primary key and then sees them (and two uploads
// claiming overlapping rows queue rather than deadlock). The claims of rows that then fail are released,
// and the results of the applied ones stored, in the chunk's stock write (as statements alongside it).
import { type RawBuilder, sql } from "kysely";
import type { Db } from "./stock.repo.ts";

export interface ImportScope {
  principal: string;
  importId: string;
}

export interface AppliedImportRow {
  fingerprint: string;
  result: unknown;
}

// Claims the rows not applied yet; answers the row numbers claimed by this call.
export async function claimImportRows(
  db: Db,
  scope: ImportScope,
  rows: readonly { rowNumber: number; fingerprint: string }[],
): Promise<Set<number>> {
  if (rows.length === 0) return new Set();
  const { rows: claimed } = await sql<{ row_number: number }>`
    INSERT INTO bulk_import_rows (principal, import_id, row_number, fingerprint, result)
    SELECT ${scope.principal}, ${scope.importId}, r.row_number, r.fingerprint, ''::bytea
    FROM unnest(${rows.map((r) => r.rowNumber)}::integer[], ${rows.map((r) => r.fingerprint)}::text[])
      AS r(row_number, fingerprint)
    ORDER BY r.row_number
    ON CONFLICT (principal, import_id, row_number) DO NOTHING
    RETURNING row_number`.execute(db);
  return new Set(claimed.map((r) => r.row_number));
}

// The stored fingerprint and result of rows an earlier upload applied.
export async function findAppliedImportRows(
  db: Db,
  scope: ImportScope,
  rowNumbers: readonly number[],
): Promise<Map<number, AppliedImportRow>> {
  if (rowNumbers.length === 0) return new Map();
  const rows = await db
    .selectFrom("bulk_import_rows")
    .select(["row_number", "fingerprint", "result"])
    .where("principal", "=", scope.principal)
    .where("import_id", "=", scope.importId)
    .where("row_number", "in", [...rowNumbers])
    .execute();
  return new Map(
    rows.map((row) => [
      row.row_number,
      { fingerprint: row.fingerprint, result: JSON.parse(Buffer.from(row.result).toString("utf8")) },
    ]),
  );
}

// UPDATE storing the results of the rows applied (a no-op for none).
export function storeImportRowResultsStatement(
  scope: ImportScope,
  results: readonly { rowNumber: number; result: unknown }[],
): RawBuilder<unknown> {
  return sql`UPDATE bulk_import_rows b SET result = convert_to(v.result, 'UTF8')
    FROM unnest(${results.map((r) => r.rowNumber)}::integer[], ${results.map((r) => JSON.stringify(r.result))}::text[])
      AS v(row_number, result)
    WHERE b.principal = ${scope.principal} AND b.import_id = ${scope.importId} AND b.row_number = v.row_number`;
}

// DELETE of the claims of rows that failed: a failed row can succeed on a later upload.
export function releaseImportRowClaimsStatement(
  scope: ImportScope,
  rowNumbers: readonly number[],
): RawBuilder<unknown> {
  return sql`DELETE FROM bulk_import_rows b
    WHERE b.principal = ${scope.principal} AND b.import_id = ${scope.importId}
      AND b.row_number = ANY(${[...rowNumbers]}::integer[])`;
}

// The codes among `codes` that name a warehouse.
export async function findWarehouseCodes(db: Db, codes: readonly string[]): Promise<Set<string>> {
  if (codes.length === 0) return new Set();
  const rows = await db
    .selectFrom("warehouses")
    .select("code")
    .where("code", "in", [...codes])
    .execute();
  return new Set(rows.map((r) => r.code));
}
