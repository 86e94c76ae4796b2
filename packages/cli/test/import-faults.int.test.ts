// Faults during a CSV import, injected for real: the CLI SIGKILLed part way (no clean finish, rows in
// flight unanswered) and the warehouse SIGKILLed part way (the CLI exits 3 and prints how to resume).
// Either way, sending the file again under the same import id applies every row exactly once.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliRun, runCli, startCli } from "./support/run-cli.ts";
import { startWarehouseProcess, type WarehouseProcess } from "./support/warehouse-process.ts";

// Large enough that an import (chunked, ~1,500 rows/s on this machine) is still running when the fault is
// injected after its first few hundred rows.
const ROWS = 12_000;
const TIMEOUT_MS = 180_000;
let warehouse: WarehouseProcess;
let dir: string;
let csvPath: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  warehouse = await startWarehouseProcess();
  dir = await mkdtemp(join(tmpdir(), "stockroom-cli-"));
  env = { STOCKROOM_TOKEN: await warehouse.token("admin"), STOCKROOM_WAREHOUSE_ADDRESS: warehouse.address };
  const created = await runCli(
    ["warehouses", "create", "FAULT-1", "--name", "Faults", "--capacity", "90000000"],
    env,
  );
  expect(created.code, created.stderr).toBe(0);
  const lines = ["sku,quantity_delta,reason"];
  for (let i = 1; i <= ROWS; i++) lines.push(`F-${i % 50},${(i % 5) + 1},found`);
  csvPath = join(dir, "faults.csv");
  await writeFile(csvPath, `${lines.join("\n")}\n`);
});

afterAll(async () => {
  await warehouse?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function whenDone(run: CliRun, rows: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      const done = [...run.stderr().matchAll(/(\d+)\/(\d+) rows/g)].map((m) => Number(m[1]));
      if (Math.max(0, ...done) >= rows) {
        clearInterval(timer);
        resolve();
      }
    }, 25);
    run.result.then(() => {
      clearInterval(timer);
      reject(new Error(`the import ended before ${rows} rows were done`));
    }, reject);
  });
}

async function appliedOnce(importId: string): Promise<{ movements: number; distinctRows: number }> {
  const { rows } = await warehouse.schema.pool.query(
    `SELECT count(*)::int AS movements, count(DISTINCT reference_id)::int AS distinct_rows
       FROM stock_movements WHERE reference_type = 'bulk_import' AND reference_id LIKE $1 || '#%'`,
    [importId],
  );
  return { movements: rows[0].movements, distinctRows: rows[0].distinct_rows };
}

// After the client is gone the warehouse may still apply the rows it had received before it saw the
// stream end: wait until the ledger stops growing.
async function settledCount(importId: string): Promise<number> {
  let last = -1;
  for (;;) {
    const { movements } = await appliedOnce(importId);
    if (movements === last) return movements;
    last = movements;
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }
}

const args = (importId: string) => [
  "--json",
  "import",
  "stock",
  csvPath,
  "-w",
  "FAULT-1",
  "--import-id",
  importId,
];

describe("stockroom import stock under faults", () => {
  it(
    "a CLI killed part way (SIGKILL) and run again applies every row exactly once",
    async () => {
      const importId = `killed-cli-${Date.now()}`;
      const first = startCli([...args(importId), "--batch-size", "100"], env);
      await whenDone(first, 300);
      first.child.kill("SIGKILL");
      const killed = await first.result;
      expect(killed.code).toBeNull();
      const before = { movements: await settledCount(importId) };
      expect(before.movements).toBeGreaterThanOrEqual(300);
      expect(before.movements).toBeLessThan(ROWS);

      const resumed = await runCli(args(importId), env);
      expect(resumed.code, resumed.stderr).toBe(0);
      const summary = JSON.parse(resumed.stdout);
      // Rows the killed run sent but never heard back about were applied all the same: already applied now.
      expect(summary).toMatchObject({
        done: ROWS,
        applied: ROWS - before.movements,
        alreadyApplied: before.movements,
      });
      expect(await appliedOnce(importId)).toEqual({ movements: ROWS, distinctRows: ROWS });
    },
    TIMEOUT_MS,
  );

  it(
    "a warehouse killed part way makes the CLI exit 3 with the resume command; the resume applies each row once",
    async () => {
      const importId = `killed-warehouse-${Date.now()}`;
      const first = startCli([...args(importId), "--batch-size", "100"], env);
      await whenDone(first, 300);
      await warehouse.crash();
      const failed = await first.result;
      expect(failed.code, failed.stderr).toBe(3);
      expect(failed.stderr).toContain(
        `to resume: stockroom import stock ${csvPath} --import-id ${importId} --warehouse FAULT-1`,
      );
      const partial = JSON.parse(failed.stdout);
      expect(partial).toMatchObject({
        importId,
        interrupted: false,
        error: expect.stringMatching(/^UNAVAILABLE/),
      });

      warehouse = await startWarehouseProcess({ schema: warehouse.schema, port: warehouse.port });
      const before = await appliedOnce(importId);
      expect(before.movements).toBeGreaterThanOrEqual(partial.applied);
      const resumed = await runCli(args(importId), env);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(JSON.parse(resumed.stdout)).toMatchObject({
        done: ROWS,
        applied: ROWS - before.movements,
        alreadyApplied: before.movements,
      });
      expect(await appliedOnce(importId)).toEqual({ movements: ROWS, distinctRows: ROWS });
      const levels = await warehouse.schema.pool.query(
        "SELECT sum(on_hand)::int AS total FROM stock_levels WHERE warehouse_code = 'FAULT-1'",
      );
      // Both imports of the same file, each applied once.
      const perImport = Array.from({ length: ROWS }, (_, i) => ((i + 1) % 5) + 1).reduce((a, b) => a + b, 0);
      expect(levels.rows[0].total).toBe(2 * perImport);
    },
    TIMEOUT_MS,
  );
});
