// stockroom movements export --from … --to … -o FILE.csv: the ledger's movements as CSV
// (ExportMovements, server streaming), with progress. The file appears under its name only once
// complete: it is written as FILE.csv.partial and renamed at the end.
import { createWriteStream, type WriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { finished } from "node:stream/promises";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { SingleBar } from "cli-progress";
import { type Command, Option } from "commander";
import { createCsvRecordCounter } from "../csv-record-counter.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import { watchInterrupts } from "../interrupt-signals.ts";
import { instant } from "../option-parsers.ts";
import { note, printJson, printLine } from "../output.ts";
import type { RunAction } from "../program.ts";

interface ExportOptions {
  from?: Date;
  to?: Date;
  output: string;
  warehouse?: string;
  sku?: string;
  reason?: string;
  referenceId?: string;
  actor?: string;
  progress: boolean;
}

async function write(stream: WriteStream | NodeJS.WriteStream, chunk: Uint8Array): Promise<void> {
  if (!stream.write(chunk)) await new Promise<void>((resolve) => stream.once("drain", resolve));
}

export function registerMovementCommands(program: Command, run: RunAction): void {
  const movements = program.command("movements").description("the stock movement ledger");

  movements
    .command("export")
    .description("export movements as CSV (one row per movement, with deltas and balances after it)")
    .addOption(new Option("--from <time>", "movements at or after (ISO 8601)").argParser(instant))
    .addOption(new Option("--to <time>", "movements before (ISO 8601)").argParser(instant))
    .requiredOption("-o, --output <file>", "CSV file to write, - for stdout")
    .option("-w, --warehouse <code>", "only this warehouse")
    .option("-s, --sku <sku>", "only this sku")
    .option("--reason <reason>", "only this movement reason, e.g. receipt, adjust_found")
    .option("--reference-id <id>", "only movements of this reference id")
    .option("--actor <actor>", "only movements made by this token subject or worker")
    .option("--no-progress", "no progress line")
    .action(
      run(async (ctx, command) => {
        const o = command.opts<ExportOptions>();
        const toStdout = o.output === "-";
        const partial = `${o.output}.partial`;
        const out = toStdout ? process.stdout : createWriteStream(partial);
        const counter = createCsvRecordCounter();
        const bar =
          o.progress && !toStdout
            ? new SingleBar({
                format: "export {value} movements | {rate} rows/s | {mb} MB | {duration_formatted}",
                noTTYOutput: true,
                notTTYSchedule: 1000,
                stream: process.stderr,
              })
            : undefined;
        bar?.start(0, 0, { rate: 0, mb: 0 });
        const interrupts = watchInterrupts(() => note("\nstopping the export"));
        const startedAt = performance.now();
        let bytes = 0;
        const movementsSoFar = () => Math.max(0, counter.records - 1);
        try {
          const stream = ctx.warehouseAdmin().exportMovements(
            {
              filter: {
                warehouseCode: o.warehouse ?? "",
                sku: o.sku ?? "",
                reason: o.reason ?? "",
                referenceId: o.referenceId ?? "",
                actor: o.actor ?? "",
                ...(o.from ? { from: timestampFromDate(o.from) } : {}),
                ...(o.to ? { to: timestampFromDate(o.to) } : {}),
              },
            },
            { deadlineMs: ctx.config.streamTimeoutMs, signal: interrupts.signal },
          );
          for await (const chunk of stream) {
            counter.push(chunk.csvChunk);
            bytes += chunk.csvChunk.length;
            await write(out, chunk.csvChunk);
            const seconds = (performance.now() - startedAt) / 1000;
            bar?.setTotal(movementsSoFar());
            bar?.update(movementsSoFar(), {
              rate: seconds > 0 ? Math.round(movementsSoFar() / seconds) : 0,
              mb: (bytes / 1e6).toFixed(1),
            });
          }
          if (!toStdout) {
            (out as WriteStream).end();
            await finished(out as WriteStream);
            await rename(partial, o.output);
          }
        } catch (err) {
          if (!toStdout) {
            (out as WriteStream).destroy();
            await rm(partial, { force: true });
          }
          if (interrupts.requested()) {
            throw new CliError(
              `export interrupted; ${toStdout ? "the output is incomplete" : `${o.output} was not written`}`,
              EXIT.interrupted,
            );
          }
          throw err;
        } finally {
          bar?.stop();
          interrupts.dispose();
        }
        const seconds = (performance.now() - startedAt) / 1000;
        const summary = {
          file: toStdout ? null : o.output,
          movements: movementsSoFar(),
          bytes,
          seconds: Number(seconds.toFixed(2)),
        };
        if (toStdout) note(`exported ${summary.movements} movements (${bytes} bytes)`);
        else if (ctx.config.json) printJson(summary);
        else
          printLine(
            `exported ${summary.movements} movements to ${o.output} (${bytes} bytes) in ${summary.seconds} s`,
          );
      }),
    );
}
