// Bins: named storage places inside a warehouse, ordered by pick sequence. Create and delete run once
// per idempotency key; a retry replays the first answer (a second delete is OK again, not NOT_FOUND).
import { ForeignKeyViolationError, mapPgError } from "@stockroom/db";
import { alreadyExists, ErrorReason, failedPrecondition, invalidArgument, notFound } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import { deleteBin, insertBin, listBins } from "../../data/warehouse-admin.repo.ts";
import type { BinRecord } from "../../domain/warehouse.ts";
import type { RequestContext, UseCaseDeps } from "../use-case-deps.ts";
import { assertWarehouseCode, requireWarehouse } from "./warehouses.ts";

const BIN_CODE = /^[A-Z0-9][A-Z0-9._-]{0,31}$/;

// The one rule for a bin code, for CreateBin and DeleteBin alike.
function assertBinCode(code: string, field: string): void {
  if (!BIN_CODE.test(code)) {
    throw invalidArgument(field, "must be 1-32 characters of A-Z, 0-9, '.', '_' or '-'");
  }
}

export type CreateBinCommand = BinRecord & { idempotencyKey: string };

export interface DeleteBinCommand {
  idempotencyKey: string;
  warehouseCode: string;
  code: string;
}

function validateBin(bin: BinRecord): void {
  assertWarehouseCode(bin.warehouseCode, "bin.warehouse_code");
  assertBinCode(bin.code, "bin.code");
  for (const field of ["zone", "aisle", "position"] as const) {
    if (bin[field].length > 32) throw invalidArgument(`bin.${field}`, "must be at most 32 characters");
  }
  if (!Number.isInteger(bin.pickSequence) || bin.pickSequence < 0) {
    throw invalidArgument("bin.pick_sequence", "must be a non-negative integer");
  }
}

export function createBinUseCase(deps: UseCaseDeps) {
  return async function createBin(command: CreateBinCommand, ctx: RequestContext): Promise<BinRecord> {
    const { idempotencyKey, ...bin } = command;
    validateBin(bin);
    await requireWarehouse(deps, bin.warehouseCode);
    return deps.transaction(
      (trx) =>
        runIdempotent(
          trx,
          {
            principal: ctx.principal,
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
      ctx,
    );
  };
}

export function listBinsUseCase(deps: UseCaseDeps) {
  return async function listWarehouseBins(warehouseCode: string): Promise<BinRecord[]> {
    await requireWarehouse(deps, warehouseCode);
    return listBins(deps.db, warehouseCode);
  };
}

export function deleteBinUseCase(deps: UseCaseDeps) {
  return async function deleteWarehouseBin(command: DeleteBinCommand, ctx: RequestContext): Promise<void> {
    const { idempotencyKey, warehouseCode, code } = command;
    assertWarehouseCode(warehouseCode, "warehouse_code");
    assertBinCode(code, "code");
    await deps.transaction(
      (trx) =>
        runIdempotent(
          trx,
          {
            principal: ctx.principal,
            operation: "delete_bin",
            key: idempotencyKey,
            fingerprint: fingerprintOf({ warehouseCode, code }),
          },
          async () => {
            const deleted = await deleteBin(trx, warehouseCode, code).catch((err: unknown) => {
              // lot_bin_units references the bin: units were put away in it and are still recorded there.
              if (mapPgError(err) instanceof ForeignKeyViolationError) {
                throw failedPrecondition(
                  ErrorReason.INVARIANT_VIOLATION,
                  `bin ${code} in warehouse ${warehouseCode} still holds stock`,
                  { warehouse_code: warehouseCode, bin_code: code },
                );
              }
              throw err;
            });
            if (!deleted) {
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
      ctx,
    );
  };
}
