// Bins: named storage places inside a warehouse, ordered by pick sequence. Create and delete run once
// per idempotency key; a retry replays the first answer (a second delete is OK again, not NOT_FOUND).
import { alreadyExists, ErrorReason, invalidArgument, notFound } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import { type BinRecord, deleteBin, insertBin, listBins } from "../../data/warehouse-admin.repo.ts";
import type { RequestContext, UseCaseDeps } from "../use-case-deps.ts";
import { assertWarehouseCode, requireWarehouse } from "./warehouses.ts";

const BIN_CODE = /^[A-Z0-9][A-Z0-9._-]{0,31}$/;

export type CreateBinCommand = BinRecord & { idempotencyKey: string };

export interface DeleteBinCommand {
  idempotencyKey: string;
  warehouseCode: string;
  code: string;
}

function validateBin(bin: BinRecord): void {
  assertWarehouseCode(bin.warehouseCode, "bin.warehouse_code");
  if (!BIN_CODE.test(bin.code)) {
    throw invalidArgument("bin.code", "must be 1-32 characters of A-Z, 0-9, '.', '_' or '-'");
  }
  for (const field of ["zone", "aisle", "position"] as const) {
    if (bin[field].length > 32) throw invalidArgument(`bin.${field}`, "must be at most 32 characters");
  }
  if (!Number.isInteger(bin.pickSequence) || bin.pickSequence < 0) {
    throw invalidArgument("bin.pick_sequence", "must be a non-negative integer");
  }
}

export function createCreateBin(deps: UseCaseDeps) {
  return async function createBin(command: CreateBinCommand, context: RequestContext): Promise<BinRecord> {
    const { idempotencyKey, ...bin } = command;
    validateBin(bin);
    await requireWarehouse(deps, bin.warehouseCode);
    return deps.transaction((trx) =>
      runIdempotent(
        trx,
        {
          principal: context.principal,
          operation: "create_bin",
          key: idempotencyKey,
          fingerprint: fingerprintOf(bin),
        },
        async () => {
          const created = await insertBin(trx, bin);
          if (!created) {
            throw alreadyExists(
              ErrorReason.ALREADY_EXISTS,
              `bin ${bin.code} already exists in warehouse ${bin.warehouseCode}`,
              {
                warehouse_code: bin.warehouseCode,
                bin_code: bin.code,
              },
            );
          }
          return created;
        },
      ),
    );
  };
}

export function createListBins(deps: UseCaseDeps) {
  return async function listWarehouseBins(warehouseCode: string): Promise<BinRecord[]> {
    await requireWarehouse(deps, warehouseCode);
    return listBins(deps.db, warehouseCode);
  };
}

export function createDeleteBin(deps: UseCaseDeps) {
  return async function deleteWarehouseBin(
    command: DeleteBinCommand,
    context: RequestContext,
  ): Promise<void> {
    const { idempotencyKey, warehouseCode, code } = command;
    await deps.transaction((trx) =>
      runIdempotent(
        trx,
        {
          principal: context.principal,
          operation: "delete_bin",
          key: idempotencyKey,
          fingerprint: fingerprintOf({ warehouseCode, code }),
        },
        async () => {
          if (!(await deleteBin(trx, warehouseCode, code))) {
            throw notFound(
              ErrorReason.UNSPECIFIED,
              `bin ${code} does not exist in warehouse ${warehouseCode}`,
              {
                warehouse_code: warehouseCode,
                bin_code: code,
              },
            );
          }
          // The stored answer: the bin went.
          return { deleted: true };
        },
      ),
    );
  };
}
