// The failed rows of an import, next to its file: stock.csv → stock.failures.csv, one row per failure
// with the line it came from, why it failed and the record as it was written.
import { writeFile } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { stringify } from "csv-stringify/sync";
import type { RowFailure } from "./bulk-import.ts";

export function failureReportPath(csvPath: string): string {
  const extension = extname(csvPath);
  return join(dirname(csvPath), `${basename(csvPath, extension)}.failures.csv`);
}

export async function writeFailureReport(path: string, failures: readonly RowFailure[]): Promise<void> {
  const rows = [...failures].sort((a, b) => a.line - b.line).map((f) => [f.line, f.error, f.raw]);
  await writeFile(path, stringify(rows, { header: true, columns: ["line", "error", "record"] }));
}
