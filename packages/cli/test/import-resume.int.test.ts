// The CLI as a child process against a real warehouse process: a CSV import interrupted with SIGINT
// half way and resumed with the same import id applies every row exactly once (checked in the ledger,
// the import's row table and the stock levels), and the export of those movements gives back the rows.
// CLI_TEST_IMPORT_ROWS sets the size: 20,000 by default (about 30 s here: the warehouse applies a chunk of
// rows per transaction, 1,500-2,500 rows/s on this shared 2-core machine); the full proof is
// CLI_TEST_IMPORT_ROWS=100000 (about 2 minutes here), and the benchmark (bench/import-throughput.ts)
// imports 100,000 too.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, startCli } from "./support/run-cli.ts";
import { startWarehouseProcess, type WarehouseProcess } from "./support/warehouse-process.ts";

const ROWS = Number(process.env.CLI_TEST_IMPORT_ROWS ?? 20_000);
// Generous: the machine is shared, and the import's speed is the warehouse's (a few ms a row at worst).
const IMPORT_TIMEOUT_MS = Math.max(180_000, ROWS * 4);
const SKUS = 200;
const WAREHOUSE = "CLI-IMPORT";
const IMPORT_ID = `resume-${Date.now()}`;

interface SourceRow {
  line: number;
  sku: string;
  delta: number;
  reason: "found" | "correction";
  note: string;
}

let warehouse: WarehouseProcess;
let dir: string;
let env: NodeJS.ProcessEnv;
const rows: SourceRow[] = [];
let csvPath: string;
let startedAt: Date;

// Every 101st note holds a comma, quotes and a line break, so records span lines and line numbers
// (the row numbers) are not record indexes.
function noteOf(i: number): string {
  return i % 101 === 0 ? `row ${i}, "quoted"\nsecond line` : `row ${i}`;
}

function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

beforeAll(async () => {
  warehouse = await startWarehouseProcess();
  dir = await mkdtemp(join(tmpdir(), "stockroom-cli-"));
  env = { STOCKROOM_TOKEN: await warehouse.token("admin"), STOCKROOM_WAREHOUSE_ADDRESS: warehouse.address };
  const created = await runCli(
    ["warehouses", "create", WAREHOUSE, "--name", "CLI import", "--capacity", "900000000"],
    env,
  );
  expect(created.code, created.stderr).toBe(0);

  const lines = ["warehouse_code,sku,quantity_delta,reason,note"];
  let line = 2;
  for (let i = 1; i <= ROWS; i++) {
    const row: SourceRow = {
      line,
      sku: `IMP-${i % SKUS}`,
      delta: (i % 9) + 1,
      reason: i % 2 === 0 ? "found" : "correction",
      note: noteOf(i),
    };
    rows.push(row);
    const text = `${WAREHOUSE},${row.sku},${row.delta},${row.reason},${csvField(row.note)}`;
    lines.push(text);
    line += text.split("\n").length;
  }
  csvPath = join(dir, "stock.csv");
  await writeFile(csvPath, `${lines.join("\n")}\n`);
  startedAt = new Date(Date.now() - 1000);
});

afterAll(async () => {
  await warehouse?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function ledgerCounts(): Promise<{ movements: number; distinctRows: number; importRows: number }> {
  const { rows: found } = await warehouse.schema.pool.query(
    `SELECT count(*)::int AS movements, count(DISTINCT reference_id)::int AS distinct_rows,
            (SELECT count(*)::int FROM bulk_import_rows WHERE import_id = $1) AS import_rows
       FROM stock_movements WHERE reference_type = 'bulk_import' AND reference_id LIKE $1 || '#%'`,
    [IMPORT_ID],
  );
  return {
    movements: found[0].movements,
    distinctRows: found[0].distinct_rows,
    importRows: found[0].import_rows,
  };
}

describe("stockroom import stock", () => {
  it(
    "interrupted with SIGINT half way and resumed with the same import id, applies every row exactly once",
    async () => {
      const first = startCli(["--json", "import", "stock", csvPath, "--import-id", IMPORT_ID], env);
      // The progress line (one a second on a pipe) says how far it got: interrupt past half way.
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          const done = [...first.stderr().matchAll(/(\d+)\/(\d+) rows/g)].map((m) => Number(m[1]));
          if (Math.max(0, ...done) >= ROWS / 2) {
            clearInterval(timer);
            first.child.kill("SIGINT");
            resolve();
          }
        }, 50);
        first.result.then(() => {
          clearInterval(timer);
          reject(new Error("the import ended before it was interrupted"));
        }, reject);
      });
      const interrupted = await first.result;
      expect(interrupted.code, interrupted.stderr).toBe(130);
      expect(interrupted.stderr).toMatch(new RegExp(`\\d+/${ROWS} rows \\| \\d+ rows/s \\| 0 failed`));
      expect(interrupted.stderr).toContain(
        `to resume: stockroom import stock ${csvPath} --import-id ${IMPORT_ID}`,
      );
      const firstSummary = JSON.parse(interrupted.stdout);
      expect(firstSummary).toMatchObject({ importId: IMPORT_ID, rows: ROWS, interrupted: true, failed: 0 });
      expect(firstSummary.applied).toBeGreaterThanOrEqual(ROWS / 2);
      expect(firstSummary.applied).toBeLessThan(ROWS);
      // Finished cleanly: every row sent was answered, and the ledger holds exactly those.
      expect(await ledgerCounts()).toEqual({
        movements: firstSummary.applied,
        distinctRows: firstSummary.applied,
        importRows: firstSummary.applied,
      });

      const resumed = await runCli(["--json", "import", "stock", csvPath, "--import-id", IMPORT_ID], env);
      expect(resumed.code, resumed.stderr).toBe(0);
      const summary = JSON.parse(resumed.stdout);
      expect(summary).toMatchObject({
        importId: IMPORT_ID,
        rows: ROWS,
        done: ROWS,
        applied: ROWS - firstSummary.applied,
        alreadyApplied: firstSummary.applied,
        failed: 0,
        interrupted: false,
        failuresReport: null,
      });
      expect(await ledgerCounts()).toEqual({ movements: ROWS, distinctRows: ROWS, importRows: ROWS });

      const expected = new Map<string, number>();
      for (const row of rows) expected.set(row.sku, (expected.get(row.sku) ?? 0) + row.delta);
      const { rows: levels } = await warehouse.schema.pool.query(
        "SELECT sku, on_hand::int AS on_hand FROM stock_levels WHERE warehouse_code = $1",
        [WAREHOUSE],
      );
      expect(new Map(levels.map((l) => [l.sku as string, l.on_hand as number]))).toEqual(expected);

      const reconciled = await runCli(["reconcile"], env);
      expect(reconciled.code, reconciled.stdout).toBe(0);
      expect(reconciled.stdout).toContain(`${SKUS} stock levels checked, 0 drifted`);
    },
    IMPORT_TIMEOUT_MS,
  );

  it(
    "exports those movements as CSV that round-trips to the imported rows",
    async () => {
      const out = join(dir, "movements.csv");
      const exported = await runCli(
        [
          "movements",
          "export",
          "--from",
          startedAt.toISOString(),
          "--to",
          new Date(Date.now() + 60_000).toISOString(),
          "--warehouse",
          WAREHOUSE,
          "--reason",
          "adjust_found",
          "-o",
          out,
        ],
        env,
      );
      expect(exported.code, exported.stderr).toBe(0);
      const found = rows.filter((r) => r.reason === "found");
      expect(exported.stdout).toContain(`exported ${found.length} movements to ${out}`);
      expect(exported.stderr).toMatch(new RegExp(`export ${found.length} movements`));

      const all = await runCli(
        ["--json", "movements", "export", "-w", WAREHOUSE, "-o", out, "--no-progress"],
        env,
      );
      expect(all.code, all.stderr).toBe(0);
      expect(JSON.parse(all.stdout)).toMatchObject({ file: out, movements: ROWS });
      const records = parse(await readFile(out), { columns: true }) as Record<string, string>[];
      const back = records.map((r) => {
        const [importId, line] = (r.reference_id ?? "").split("#");
        return {
          importId,
          reference: r.reference_type,
          row: {
            line: Number(line),
            sku: r.sku,
            delta: Number(r.on_hand_delta),
            reason: (r.reason ?? "").replace(/^adjust_/, ""),
            note: r.note,
          },
        };
      });
      expect(back.every((b) => b.importId === IMPORT_ID && b.reference === "bulk_import")).toBe(true);
      expect(back.map((b) => b.row).sort((a, b) => a.line - b.line)).toEqual(rows);
    },
    IMPORT_TIMEOUT_MS,
  );
});
