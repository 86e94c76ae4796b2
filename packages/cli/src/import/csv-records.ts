// CSV records of a file with the line each starts on, and the malformed ones reported instead of
// stopping the read. Records are framed first: a record ends at the first line end where its quotes
// balance (RFC 4180 doubles a quote inside a quoted field, so balance is exact for well-formed CSV).
// csv-parse then parses the framed records a chunk at a time; a chunk it refuses is parsed again record
// by record, so one bad record costs only itself. (csv-parse's own skip_records_with_error resumes
// wherever its quote state lands and lost the records after a stray quote.)
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { CsvError, parse } from "csv-parse/sync";

/** A quoted field may hold line breaks; a record still open after this many lines is malformed. */
export const MAX_RECORD_LINES = 20;
const CHUNK_RECORDS = 500;

export type CsvEntry =
  | { kind: "record"; line: number; fields: string[]; raw: string }
  | { kind: "malformed"; line: number; error: string; raw: string };

interface Framed {
  line: number;
  lines: string[];
}

function quoteCount(text: string): number {
  let count = 0;
  for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1)) count++;
  return count;
}

/** Splits physical lines into records by quote balance; unbalanced ones become malformed entries. */
class RecordFramer {
  private pending: Framed | null = null;
  private quotes = 0;

  push(line: number, text: string, out: (framed: Framed | CsvEntry) => void): void {
    if (this.pending === null) {
      if (text.trim() === "") return;
      this.pending = { line, lines: [text] };
      this.quotes = quoteCount(text);
    } else {
      this.pending.lines.push(text);
      this.quotes += quoteCount(text);
    }
    if (this.quotes % 2 === 0) {
      out(this.pending);
      this.pending = null;
    } else if (this.pending.lines.length >= MAX_RECORD_LINES) {
      this.abandon(`a quoted field is not closed within ${MAX_RECORD_LINES} lines`, out);
    }
  }

  end(out: (framed: Framed | CsvEntry) => void): void {
    while (this.pending !== null) this.abandon("a quoted field is not closed at the end of the file", out);
  }

  // The first line of the open record is reported; the lines after it are framed again from scratch.
  private abandon(error: string, out: (framed: Framed | CsvEntry) => void): void {
    const open = this.pending;
    if (open === null) return;
    this.pending = null;
    this.quotes = 0;
    out({ kind: "malformed", line: open.line, error, raw: open.lines[0] ?? "" });
    open.lines.slice(1).forEach((text, i) => {
      this.push(open.line + 1 + i, text, out);
    });
  }
}

function describeCsvError(err: unknown): string {
  if (err instanceof CsvError) return err.message.replace(/ at line \d+/, "").replace(/\s+/g, " ");
  throw err;
}

function parseOne(framed: Framed): CsvEntry {
  const raw = framed.lines.join("\n");
  try {
    const records = parse(raw, { relax_column_count: true }) as string[][];
    const fields = records[0];
    if (records.length !== 1 || fields === undefined) {
      return { kind: "malformed", line: framed.line, error: "not one CSV record", raw };
    }
    return { kind: "record", line: framed.line, fields, raw };
  } catch (err) {
    return { kind: "malformed", line: framed.line, error: describeCsvError(err), raw };
  }
}

function parseChunk(chunk: Framed[]): CsvEntry[] {
  const raws = chunk.map((framed) => framed.lines.join("\n"));
  try {
    const records = parse(raws.join("\n"), { relax_column_count: true }) as string[][];
    if (records.length === chunk.length) {
      return chunk.map((framed, i) => ({
        kind: "record",
        line: framed.line,
        fields: records[i] ?? [],
        raw: raws[i] ?? "",
      }));
    }
  } catch (err) {
    describeCsvError(err);
  }
  return chunk.map(parseOne);
}

/** Every record and malformed record of the file, in order, with the line it starts on (1-based). */
export async function* readCsvRecords(path: string): AsyncGenerator<CsvEntry> {
  const lines = createInterface({
    input: createReadStream(path, "utf8"),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  const framer = new RecordFramer();
  let chunk: Framed[] = [];
  let ready: CsvEntry[] = [];
  const out = (item: Framed | CsvEntry) => {
    if ("kind" in item) {
      // A malformed record keeps its place in the order: the chunk before it is parsed first.
      ready.push(...parseChunk(chunk), item);
      chunk = [];
    } else {
      chunk.push(item);
      if (chunk.length >= CHUNK_RECORDS) {
        ready.push(...parseChunk(chunk));
        chunk = [];
      }
    }
  };
  let lineNumber = 0;
  for await (const text of lines) {
    lineNumber++;
    framer.push(lineNumber, lineNumber === 1 ? text.replace(/^\uFEFF/, "") : text, out);
    if (ready.length > 0) {
      yield* ready;
      ready = [];
    }
  }
  framer.end(out);
  ready.push(...parseChunk(chunk));
  yield* ready;
}

/** How many records (malformed ones included) the file holds, without parsing them: for progress totals. */
export async function countCsvRecords(path: string): Promise<number> {
  const lines = createInterface({
    input: createReadStream(path, "utf8"),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  const framer = new RecordFramer();
  let count = 0;
  const out = () => {
    count++;
  };
  let lineNumber = 0;
  for await (const text of lines) framer.push(++lineNumber, text, out);
  framer.end(out);
  return count;
}
