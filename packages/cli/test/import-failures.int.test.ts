// Bad rows of a CSV import against a real warehouse process: each is reported with its line number and
// reason in FILE.failures.csv, the others are applied, and the exit code says "partial" (1). A header
// the import cannot use is refused before anything is sent (2).
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./support/run-cli.ts";
import { startWarehouseProcess, type WarehouseProcess } from "./support/warehouse-process.ts";

let warehouse: WarehouseProcess;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  warehouse = await startWarehouseProcess();
  dir = await mkdtemp(join(tmpdir(), "stockroom-cli-"));
  env = { STOCKROOM_TOKEN: await warehouse.token("admin"), STOCKROOM_WAREHOUSE_ADDRESS: warehouse.address };
  const created = await runCli(
    ["warehouses", "create", "BAD-1", "--name", "Bad rows", "--capacity", "1000000"],
    env,
  );
  expect(created.code, created.stderr).toBe(0);
});

afterAll(async () => {
  await warehouse?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function onHand(): Promise<Record<string, number>> {
  const { rows } = await warehouse.schema.pool.query(
    "SELECT sku, on_hand::int AS on_hand FROM stock_levels WHERE warehouse_code = 'BAD-1' ORDER BY sku",
  );
  return Object.fromEntries(rows.map((r) => [r.sku, r.on_hand]));
}

describe("stockroom import stock with bad rows", () => {
  it("reports each bad row with its line number and reason, and applies the rest", async () => {
    const csv = [
      "sku,quantity_delta,reason,note", // line 1; warehouse from --warehouse
      "GOOD-A,5,found,first", // 2
      "GOOD-B,7,correction,second", // 3
      "BAD-QTY,five,found,quantity is a word", // 4
      "BAD-REASON,3,stolen,reason is unknown", // 5
      'BAD-QUOTE,"3"x,found,stray quote', // 6
      "BAD-FIELDS,3", // 7
      'GOOD-C,2,found,"a note', // 8: a quoted note over two lines
      'on two lines"', // 9
      "GOOD-A,-2,loss,lost two", // 10
      "BAD-SIGN,4,loss,a loss must be negative", // 11: refused by the warehouse
      "GOOD-B,1,found,last", // 12
      "", // 13: blank, skipped
    ].join("\n");
    const file = join(dir, "bad-rows.csv");
    await writeFile(file, csv);

    const result = await runCli(
      ["import", "stock", file, "--warehouse", "BAD-1", "--import-id", "bad-rows-1"],
      env,
    );
    expect(result.code, result.stderr).toBe(1);
    const report = join(dir, "bad-rows.failures.csv");
    expect(result.stdout).toContain("import bad-rows-1: 10 of 10 rows done");
    expect(result.stdout).toContain("5 applied, 0 already applied by an earlier upload, 5 failed");
    expect(result.stdout).toContain(`failed rows, with line numbers and reasons: ${report}`);

    const failures = parse(await readFile(report), { columns: true }) as Record<string, string>[];
    expect(failures.map((f) => Number(f.line))).toEqual([4, 5, 6, 7, 11]);
    expect(failures[0]?.error).toBe('quantity_delta "five" is not a whole number');
    expect(failures[1]?.error).toBe('reason "stolen" is not one of damage, loss, found, correction');
    expect(failures[2]?.error).toMatch(/^malformed CSV: Invalid Closing Quote/);
    expect(failures[3]?.error).toBe("expected 4 fields (sku,quantity_delta,reason,note), got 2");
    expect(failures[4]?.error).toMatch(/quantity_delta.*must be negative/);
    expect(failures.map((f) => f.record)).toEqual([
      "BAD-QTY,five,found,quantity is a word",
      "BAD-REASON,3,stolen,reason is unknown",
      'BAD-QUOTE,"3"x,found,stray quote',
      "BAD-FIELDS,3",
      "BAD-SIGN,4,loss,a loss must be negative",
    ]);
    expect(await onHand()).toEqual({ "GOOD-A": 3, "GOOD-B": 8, "GOOD-C": 2 });
    const { rows: notes } = await warehouse.schema.pool.query(
      "SELECT note FROM stock_movements WHERE sku = 'GOOD-C'",
    );
    expect(notes).toEqual([{ note: "a note\non two lines" }]);

    // Sent again under the same id: nothing is applied twice, the bad rows are reported again.
    const again = await runCli(
      ["--json", "import", "stock", file, "-w", "BAD-1", "--import-id", "bad-rows-1"],
      env,
    );
    expect(again.code, again.stderr).toBe(1);
    expect(JSON.parse(again.stdout)).toMatchObject({
      applied: 0,
      alreadyApplied: 5,
      failed: 5,
      failuresReport: report,
    });
    expect(await onHand()).toEqual({ "GOOD-A": 3, "GOOD-B": 8, "GOOD-C": 2 });
  });

  it("refuses a header it cannot use before sending anything", async () => {
    const file = join(dir, "bad-header.csv");
    await writeFile(file, "warehouse_code,sku,qty,reason\nBAD-1,HDR-1,5,found\n");
    const result = await runCli(["import", "stock", file], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'unknown column "qty" in the header; the columns are warehouse_code, sku, quantity_delta, reason, note, lot_code',
    );
    const missing = join(dir, "no-warehouse.csv");
    await writeFile(missing, "sku,quantity_delta,reason\nHDR-1,5,found\n");
    const noWarehouse = await runCli(["import", "stock", missing], env);
    expect(noWarehouse.code).toBe(2);
    expect(noWarehouse.stderr).toContain("the header lacks warehouse_code (or give --warehouse)");
    const absent = await runCli(["import", "stock", join(dir, "absent.csv")], env);
    expect(absent.code).toBe(2);
    expect(absent.stderr).toContain("cannot read");
    expect(await onHand()).not.toHaveProperty("HDR-1");
  });
});
