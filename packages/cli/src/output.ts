// What commands print: tables and lines for people on stdout, one JSON document for scripts with
// --json; notes (progress, hints) go to stderr so stdout stays the result.
import Table from "cli-table3";

export type Cell = string | number | bigint | boolean;

export function formatTable(head: string[], rows: Cell[][]): string {
  const table = new Table({ head, style: { head: [], border: [], compact: true } });
  for (const row of rows) table.push(row.map((cell) => String(cell)));
  return table.toString();
}

export function printTable(head: string[], rows: Cell[][], empty = "(none)"): void {
  process.stdout.write(rows.length === 0 ? `${empty}\n` : `${formatTable(head, rows)}\n`);
}

export function printLine(text: string): void {
  process.stdout.write(`${text}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(
    `${JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`,
  );
}

export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}
