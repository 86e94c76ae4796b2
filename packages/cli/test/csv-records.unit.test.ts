// Reading an import's CSV: records carry the line they start on, a record may span lines inside
// quotes, and a malformed record is reported on its own while the records after it are read.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CsvEntry,
  countCsvRecords,
  MAX_RECORD_LINES,
  readCsvRecords,
} from "../src/import/csv-records.ts";
import { importLayout, toImportRow } from "../src/import/stock-import-rows.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "stockroom-csv-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function read(text: string): Promise<{ entries: CsvEntry[]; count: number }> {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.csv`);
  await writeFile(path, text);
  const entries: CsvEntry[] = [];
  for await (const entry of readCsvRecords(path)) entries.push(entry);
  return { entries, count: await countCsvRecords(path) };
}

const brief = (e: CsvEntry) => (e.kind === "record" ? [e.line, e.fields] : [e.line, e.kind]);

describe("readCsvRecords", () => {
  it("gives each record the line it starts on, across quoted line breaks, CRLF, a BOM and blank lines", async () => {
    const { entries, count } = await read('\uFEFFa,b\r\n1,"x\r\ny"\r\n\r\n2,"say ""hi"""\r\n3,z');
    expect(entries.map(brief)).toEqual([
      [1, ["a", "b"]],
      [2, ["1", "x\ny"]],
      [5, ["2", 'say "hi"']],
      [6, ["3", "z"]],
    ]);
    expect(count).toBe(4);
  });

  it("reports a stray quote on its own line and reads every record after it", async () => {
    const { entries } = await read('a,b\n1,"bad"x\n2,ok\n3,"fine, quoted"\n');
    expect(entries.map(brief)).toEqual([
      [1, ["a", "b"]],
      [2, "malformed"],
      [3, ["2", "ok"]],
      [4, ["3", "fine, quoted"]],
    ]);
    expect(entries[1]).toMatchObject({
      raw: '1,"bad"x',
      error: expect.stringMatching(/^Invalid Closing Quote/),
    });
  });

  it("gives up on a quote left open after MAX_RECORD_LINES lines and reads on from the next line", async () => {
    const after = Array.from({ length: MAX_RECORD_LINES + 2 }, (_, i) => `${i + 3},v`);
    const { entries, count } = await read(["a,b", '2,"never closed', ...after].join("\n"));
    expect(entries[1]).toMatchObject({
      kind: "malformed",
      line: 2,
      error: expect.stringContaining("not closed"),
    });
    expect(entries.slice(2).map(brief)).toEqual(after.map((text, i) => [i + 3, text.split(",")]));
    expect(count).toBe(entries.length);
  });

  it("reports a quote still open at the end of the file", async () => {
    const { entries } = await read('a,b\n1,ok\n2,"open\n3,x');
    expect(entries.map(brief)).toEqual([
      [1, ["a", "b"]],
      [2, ["1", "ok"]],
      [3, "malformed"],
      [4, ["3", "x"]],
    ]);
  });

  it("parses thousands of records in chunks with a malformed one in the middle", async () => {
    const lines = ["a,b"];
    for (let i = 2; i <= 3001; i++) lines.push(i === 1500 ? `${i},"x"y` : `${i},"v ${i}"`);
    const { entries } = await read(lines.join("\n"));
    expect(entries).toHaveLength(3001);
    expect(entries.filter((e) => e.kind === "malformed").map((e) => e.line)).toEqual([1500]);
    expect(
      entries.every((e) => e.kind === "malformed" || e.line === 1 || e.fields[1] === `v ${e.line}`),
    ).toBe(true);
  });
});

describe("import rows", () => {
  it("refuses unknown, repeated and missing columns", () => {
    expect(() => importLayout(["sku", "qty", "reason"], "W")).toThrow('unknown column "qty"');
    expect(() => importLayout(["sku", "sku", "quantity_delta", "reason"], "W")).toThrow("appears twice");
    expect(() => importLayout(["sku", "quantity_delta", "reason"], undefined)).toThrow(
      "the header lacks warehouse_code (or give --warehouse)",
    );
  });

  it("turns a record into an adjustment, or into a failure naming what is wrong", () => {
    const layout = importLayout(["SKU", "quantity_delta", "reason", "note"], "WH-1");
    const row = (fields: string[]) => toImportRow(layout, { kind: "record", line: 7, fields, raw: "r" });
    expect(row(["A-1", "-3", "Loss", " kept as written "])).toMatchObject({
      kind: "row",
      line: 7,
      adjustment: { warehouseCode: "WH-1", sku: "A-1", quantityDelta: -3, note: " kept as written " },
    });
    expect(row(["A-1", "3.5", "found", ""])).toMatchObject({
      kind: "failed",
      error: 'quantity_delta "3.5" is not a whole number',
    });
    expect(row(["A-1", "99999999999", "found", ""])).toMatchObject({ kind: "failed" });
    expect(row(["A-1", "3", "stolen", ""])).toMatchObject({
      kind: "failed",
      error: expect.stringContaining('"stolen"'),
    });
    expect(row(["A-1", "3"])).toMatchObject({
      kind: "failed",
      error: "expected 4 fields (sku,quantity_delta,reason,note), got 2",
    });
  });
});
