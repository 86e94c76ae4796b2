// CSV import throughput, not a test: prints JSON. The same BENCH_ROWS adjustments (default 100,000 over
// BENCH_SKUS skus) go to one warehouse process twice, each under an import id of its own:
//   bare: one BulkAdjustStock client-streaming call from this process, every row in one stream
//   cli:  `stockroom import stock FILE.csv` as a child process, timed from spawn to exit (start-up,
//         the CSV's counting pass, parsing, batching and the progress output included)
// The issue's target is cli.rowsPerSecond >= 0.8 x bare.rowsPerSecond. BENCH_ORDER=cli,bare swaps the
// order (the second case meets a ledger the first has grown).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@stockroom/grpc";
import {
  AdjustmentReason,
  WarehouseAdminService,
} from "@stockroom/proto/stockroom/warehouse/v1/warehouse_admin_service_pb.js";
import { CLI_MAIN } from "../test/support/run-cli.ts";
import { startWarehouseProcess } from "../test/support/warehouse-process.ts";

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const SKUS = Number(process.env.BENCH_SKUS ?? 1_000);
const ORDER = (process.env.BENCH_ORDER ?? "bare,cli").split(",");
const WAREHOUSE = "BENCH-IMPORT";
const RUN = Date.now().toString(36);

interface Row {
  line: number;
  sku: string;
  delta: number;
  note: string;
}

const rows: Row[] = Array.from({ length: ROWS }, (_, i) => ({
  line: i + 2,
  sku: `BENCH-${i % SKUS}`,
  delta: (i % 9) + 1,
  note: `bench row ${i + 1}`,
}));

async function main(): Promise<void> {
  const warehouse = await startWarehouseProcess({ poolMax: 10 });
  const dir = await mkdtemp(join(tmpdir(), "stockroom-bench-"));
  try {
    const token = await warehouse.token("admin");
    const admin = createClient(WarehouseAdminService, warehouse.address, {
      token,
      defaultDeadlineMs: 3_600_000,
      // One stream of every row gets one answer with every row's result.
      channelOptions: { "grpc.max_receive_message_length": -1 },
    });
    await admin.createWarehouse({
      idempotencyKey: `bench-${WAREHOUSE}`,
      warehouse: { code: WAREHOUSE, name: "Import bench", capacityUnits: 9_000_000_000n },
    });
    const csv = join(dir, "bench.csv");
    await writeFile(
      csv,
      `warehouse_code,sku,quantity_delta,reason,note\n${rows.map((r) => `${WAREHOUSE},${r.sku},${r.delta},found,${r.note}`).join("\n")}\n`,
    );

    const bare = async () => {
      const importId = `bench-bare-${RUN}`;
      const started = performance.now();
      const response = await admin.bulkAdjustStock(
        rows.map((r) => ({
          importId,
          rowNumber: r.line,
          adjustment: {
            warehouseCode: WAREHOUSE,
            sku: r.sku,
            quantityDelta: r.delta,
            reason: AdjustmentReason.FOUND,
            note: r.note,
          },
        })),
      );
      const seconds = (performance.now() - started) / 1000;
      if (response.rowsApplied !== ROWS) throw new Error(`bare: ${response.rowsApplied} of ${ROWS} applied`);
      return { seconds: round(seconds), rowsPerSecond: Math.round(ROWS / seconds) };
    };

    const cli = async () => {
      const importId = `bench-cli-${RUN}`;
      const started = performance.now();
      const child = spawn(
        process.execPath,
        [CLI_MAIN, "--json", "import", "stock", csv, "--import-id", importId],
        {
          env: {
            ...process.env,
            STOCKROOM_TOKEN: token,
            STOCKROOM_WAREHOUSE_ADDRESS: warehouse.address,
            XDG_CONFIG_HOME: dir,
          },
          // The progress lines go to this process's stderr; stdout carries the CLI's JSON summary.
          stdio: ["ignore", "pipe", process.stderr],
        },
      );
      let out = "";
      child.stdout?.setEncoding("utf8").on("data", (d: string) => {
        out += d;
      });
      const [code] = (await once(child, "close")) as [number | null];
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) throw new Error(`cli exited with ${code}: ${out}`);
      const summary = JSON.parse(out) as { applied: number; rowsPerSecond: number };
      if (summary.applied !== ROWS) throw new Error(`cli: ${summary.applied} of ${ROWS} applied`);
      return {
        seconds: round(seconds),
        rowsPerSecond: Math.round(ROWS / seconds),
        // The CLI's own figure: from its first call to its last answer, start-up and counting excluded.
        importRowsPerSecond: summary.rowsPerSecond,
      };
    };

    const results: Record<string, { seconds: number; rowsPerSecond: number }> = {};
    for (const name of ORDER) {
      process.stderr.write(`== ${name}: ${ROWS} rows\n`);
      results[name] = name === "cli" ? await cli() : await bare();
    }
    admin.close();
    const ratio =
      results.cli && results.bare ? round(results.cli.rowsPerSecond / results.bare.rowsPerSecond) : undefined;
    process.stdout.write(
      `${JSON.stringify({ rows: ROWS, skus: SKUS, order: ORDER, ...results, ratio }, null, 2)}\n`,
    );
  } finally {
    await warehouse.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function round(n: number): number {
  return Number(n.toFixed(2));
}

await main();
