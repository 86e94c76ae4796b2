// Sends an import's rows to BulkAdjustStock in batches: one client-streaming call per batch of rows,
// one after the other, all under the same import id with the CSV line as row number. The warehouse
// applies each row once per (import id, row number), so a batch or a whole import sent again (after an
// interruption, a lost connection) applies only what it had not, and answers already_applied for the
// rest. Batches keep each answer small and give the progress its done and failed counts as they happen.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CallOptions } from "@stockroom/grpc";
import type {
  BulkAdjustStockRequestSchema,
  BulkAdjustStockResponse,
} from "@stockroom/proto/stockroom/warehouse/v1/warehouse_admin_service_pb.js";
import type { ImportRow } from "./stock-import-rows.ts";

export const DEFAULT_BATCH_SIZE = 500;

type BulkRequest = MessageInitShape<typeof BulkAdjustStockRequestSchema>;

export interface BulkImportClient {
  bulkAdjustStock(
    requests: AsyncIterable<BulkRequest>,
    options?: CallOptions,
  ): Promise<BulkAdjustStockResponse>;
}

export interface RowFailure {
  line: number;
  error: string;
  raw: string;
}

export interface ImportCounts {
  /** Rows with an outcome: applied now, applied by an earlier upload, or failed. */
  done: number;
  applied: number;
  alreadyApplied: number;
  failed: number;
}

export interface ImportOutcome extends ImportCounts {
  failures: RowFailure[];
  /** Stopped on request before the end of the file. */
  interrupted: boolean;
}

export interface BulkImportOptions {
  client: BulkImportClient;
  importId: string;
  rows: AsyncIterable<ImportRow>;
  batchSize?: number;
  deadlineMs: number;
  /** Checked before each row is sent: true ends the current batch and the import after it. */
  stopRequested: () => boolean;
  onProgress?: (counts: ImportCounts) => void;
}

/** The call failed part way; what had an outcome before it is kept for the report. */
export class BulkImportError extends Error {
  override readonly name = "BulkImportError";
  readonly outcome: ImportOutcome;

  constructor(cause: unknown, outcome: ImportOutcome) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.outcome = outcome;
  }
}

export async function runBulkImport(options: BulkImportOptions): Promise<ImportOutcome> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const source = options.rows[Symbol.asyncIterator]();
  const outcome: ImportOutcome = {
    done: 0,
    applied: 0,
    alreadyApplied: 0,
    failed: 0,
    failures: [],
    interrupted: false,
  };
  const fail = (failure: RowFailure) => {
    outcome.failures.push(failure);
    outcome.failed++;
    outcome.done++;
  };
  let exhausted = false;
  let sourceError: unknown;

  // The next row to send, failing the rows this tool already refused on the way.
  async function nextRow(): Promise<Extract<ImportRow, { kind: "row" }> | undefined> {
    for (;;) {
      const next = await source.next();
      if (next.done) {
        exhausted = true;
        return undefined;
      }
      if (next.value.kind === "row") return next.value;
      fail(next.value);
    }
  }

  while (!exhausted) {
    if (options.stopRequested()) {
      outcome.interrupted = true;
      break;
    }
    const first = await nextRow();
    options.onProgress?.(outcome);
    if (first === undefined) break;
    const opening = first;
    const sent = new Map<number, string>([[opening.line, opening.raw]]);
    async function* batch(): AsyncGenerator<BulkRequest> {
      yield { importId: options.importId, rowNumber: opening.line, adjustment: opening.adjustment };
      try {
        while (sent.size < batchSize && !options.stopRequested()) {
          const row = await nextRow();
          if (row === undefined) return;
          sent.set(row.line, row.raw);
          yield { importId: options.importId, rowNumber: row.line, adjustment: row.adjustment };
        }
      } catch (err) {
        // A failing file ends the batch cleanly (the rows sent keep their answers); rethrown below.
        sourceError = err;
        exhausted = true;
      }
    }
    let response: BulkAdjustStockResponse;
    try {
      response = await options.client.bulkAdjustStock(batch(), { deadlineMs: options.deadlineMs });
    } catch (err) {
      throw new BulkImportError(err, outcome);
    }
    for (const result of response.results) {
      if (!result.ok) {
        fail({ line: result.rowNumber, error: result.error, raw: sent.get(result.rowNumber) ?? "" });
        continue;
      }
      outcome.done++;
      if (result.alreadyApplied) outcome.alreadyApplied++;
      else outcome.applied++;
    }
    options.onProgress?.(outcome);
  }
  if (sourceError !== undefined) throw sourceError;
  if (!exhausted) outcome.interrupted = true;
  return outcome;
}
