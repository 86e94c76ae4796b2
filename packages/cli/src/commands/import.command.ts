// stockroom import stock FILE.csv: streams the file's adjustments into BulkAdjustStock with a progress
// bar, writes the failed rows next to the file, and can be resumed with the same --import-id after an
// interruption (Ctrl-C finishes the rows in flight, then prints how to resume).
import { access, rm } from "node:fs/promises";
import { basename, extname } from "node:path";
import { type Command, Option } from "commander";
import { CliError, describeFailure, EXIT, exitCodeFor, usageError } from "../exit-codes.ts";
import {
  BulkImportError,
  DEFAULT_BATCH_SIZE,
  type ImportOutcome,
  runBulkImport,
} from "../import/bulk-import.ts";
import { countCsvRecords, readCsvRecords } from "../import/csv-records.ts";
import { failureReportPath, writeFailureReport } from "../import/failure-report.ts";
import { createImportProgress } from "../import/import-progress.ts";
import { type ImportRow, importLayout, toImportRow } from "../import/stock-import-rows.ts";
import { watchInterrupts } from "../interrupt-signals.ts";
import { integerIn } from "../option-parsers.ts";
import { note, printJson, printLine } from "../output.ts";
import type { RunAction } from "../program.ts";

const MAX_IMPORT_ID_LENGTH = 128;

interface ImportOptions {
  importId?: string;
  warehouse?: string;
  batchSize: number;
  progress: boolean;
}

function defaultImportId(file: string): string {
  const stamp = new Date().toISOString().replace(/[-:.]/g, "");
  return `${basename(file, extname(file)).slice(0, 80)}-${stamp}`;
}

function shellQuote(text: string): string {
  return /^[\w./:@=+-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

function resumeCommand(file: string, importId: string, o: ImportOptions): string {
  const parts = ["stockroom", "import", "stock", shellQuote(file), "--import-id", shellQuote(importId)];
  if (o.warehouse) parts.push("--warehouse", shellQuote(o.warehouse));
  return parts.join(" ");
}

export function registerImportCommands(program: Command, run: RunAction): void {
  const imports = program.command("import").description("bulk imports from CSV");

  imports
    .command("stock")
    .description(
      "apply a CSV of stock adjustments (warehouse_code,sku,quantity_delta,reason[,note][,lot_code]); " +
        "failed rows go to FILE.failures.csv",
    )
    .argument("<file>", "CSV file with a header row")
    .option("--import-id <id>", "resume an earlier import: rows it applied are not applied again")
    .option("-w, --warehouse <code>", "warehouse for rows without a warehouse_code column")
    .addOption(
      new Option("--batch-size <rows>", "rows per BulkAdjustStock call")
        .argParser(integerIn(1, 10_000))
        .default(DEFAULT_BATCH_SIZE),
    )
    .option("--no-progress", "no progress bar")
    .action(
      run(async (ctx, command) => {
        const file = command.processedArgs[0] as string;
        const o = command.opts<ImportOptions>();
        await access(file).catch(() => {
          throw usageError(`cannot read ${file}`);
        });
        const importId = o.importId ?? defaultImportId(file);
        if (importId.length === 0 || importId.length > MAX_IMPORT_ID_LENGTH) {
          throw usageError(`--import-id must be 1..${MAX_IMPORT_ID_LENGTH} characters`);
        }
        const entries = readCsvRecords(file);
        const header = await entries.next();
        if (header.done) throw usageError(`${file} is empty: it needs a header row`);
        if (header.value.kind === "malformed") {
          throw usageError(`the header of ${file} is not valid CSV: ${header.value.error}`);
        }
        const layout = importLayout(header.value.fields, o.warehouse);
        const total = Math.max(0, (await countCsvRecords(file)) - 1);
        async function* rows(): AsyncGenerator<ImportRow> {
          for await (const entry of entries) yield toImportRow(layout, entry);
        }

        note(`import ${importId}: ${total} rows from ${file}`);
        const progress = createImportProgress(total, o.progress);
        // The rows the warehouse received are applied even if a second Ctrl-C leaves at once: the resume
        // sorts them out.
        const stop = watchInterrupts(() => {
          note("\nstopping: finishing the rows in flight (Ctrl-C again to quit at once)");
        });
        const startedAt = performance.now();
        let outcome: ImportOutcome;
        let failure: unknown;
        try {
          outcome = await runBulkImport({
            client: ctx.warehouseAdmin(),
            importId,
            rows: rows(),
            batchSize: o.batchSize,
            deadlineMs: ctx.config.streamTimeoutMs,
            stopRequested: stop.requested,
            onProgress: (counts) => progress.update(counts),
          });
        } catch (err) {
          if (!(err instanceof BulkImportError)) throw err;
          outcome = err.outcome;
          failure = err.cause;
        } finally {
          progress.stop();
          stop.dispose();
        }
        const seconds = (performance.now() - startedAt) / 1000;

        const reportPath = failureReportPath(file);
        if (outcome.failures.length > 0) await writeFailureReport(reportPath, outcome.failures);
        else await rm(reportPath, { force: true });

        const resumable = failure !== undefined || outcome.interrupted;
        const summary = {
          importId,
          file,
          rows: total,
          done: outcome.done,
          applied: outcome.applied,
          alreadyApplied: outcome.alreadyApplied,
          failed: outcome.failed,
          interrupted: outcome.interrupted,
          seconds: Number(seconds.toFixed(2)),
          rowsPerSecond: seconds > 0 ? Math.round(outcome.done / seconds) : 0,
          failuresReport: outcome.failures.length > 0 ? reportPath : null,
          ...(failure !== undefined ? { error: describeFailure(failure) } : {}),
          ...(resumable ? { resume: resumeCommand(file, importId, o) } : {}),
        };
        if (ctx.config.json) {
          printJson(summary);
        } else {
          printLine(
            `import ${importId}: ${outcome.done} of ${total} rows done in ${summary.seconds} s ` +
              `(${summary.rowsPerSecond} rows/s): ${outcome.applied} applied, ` +
              `${outcome.alreadyApplied} already applied by an earlier upload, ${outcome.failed} failed`,
          );
          if (summary.failuresReport) printLine(`failed rows, with line numbers and reasons: ${reportPath}`);
        }
        if (failure !== undefined) {
          note(`stockroom: the import stopped: ${describeFailure(failure)}`);
        }
        if (resumable) note(`to resume: ${summary.resume}`);
        if (failure !== undefined) {
          const code = exitCodeFor(failure);
          throw new CliError(`import ${importId} did not finish`, code === EXIT.ok ? EXIT.failed : code);
        }
        if (outcome.interrupted) return EXIT.interrupted;
        return outcome.failed > 0 ? EXIT.partial : EXIT.ok;
      }),
    );
}
