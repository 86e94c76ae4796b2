// Transfers between warehouses. Create records the request; dispatch takes the units off the source
// (on_hand, from free unexpired lots in FEFO order, 'transfer_out') and announces them at the
// destination (incoming, also 'transfer_out': both rows are the dispatch); receive turns the
// destination's incoming into on_hand ('transfer_in') under the destination's capacity policy, into
// the same lots (and expiry) the dispatch took.
import { ErrorReason, failedPrecondition, internal, invalidArgument, notFound } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import { v7 as uuidv7 } from "uuid";
import {
  ensureStockLevels,
  findLots,
  type LotWrite,
  lockStockLevels,
  writeStockChanges,
} from "../../data/stock.repo.ts";
import {
  findDispatchedLotParts,
  insertTransfer,
  lockTransfer,
  setTransferStatus,
  type TransferRecord,
  type TransferStatus,
} from "../../data/transfer.repo.ts";
import { lockWarehouseCapacity } from "../../data/warehouse.repo.ts";
import { decideCapacity } from "../../domain/capacity.ts";
import { allocateFefo } from "../../domain/lot-allocation.ts";
import { levelKey, type StockLevelKey } from "../../domain/stock-level.ts";
import { planStockChanges, type StockChange } from "../stock-changes.ts";
import type { RequestContext, UseCaseDeps } from "../use-case-deps.ts";
import { recordFillAlert } from "../warehouse-fill-alert.ts";
import { requireWarehouse } from "./warehouses.ts";

export interface CreateTransferCommand {
  idempotencyKey: string;
  fromWarehouseCode: string;
  toWarehouseCode: string;
  lines: { sku: string; quantity: number }[];
}

export type TransferView = TransferRecord;

// Idempotent answers come back from JSON: dates are strings again.
function revive(view: TransferView): TransferView {
  return { ...view, createdAt: new Date(view.createdAt), updatedAt: new Date(view.updatedAt) };
}

export function createTransferUseCase(deps: UseCaseDeps) {
  return async function createTransfer(
    command: CreateTransferCommand,
    context: RequestContext,
  ): Promise<TransferView> {
    const { idempotencyKey, ...request } = command;
    if (command.fromWarehouseCode === command.toWarehouseCode) {
      throw invalidArgument("to_warehouse_code", "must differ from from_warehouse_code");
    }
    const skus = new Set<string>();
    command.lines.forEach((line, index) => {
      if (skus.has(line.sku)) throw invalidArgument(`lines[${index}].sku`, `sku ${line.sku} appears twice`);
      skus.add(line.sku);
    });
    for (const [code, field] of [
      [command.fromWarehouseCode, "from_warehouse_code"],
      [command.toWarehouseCode, "to_warehouse_code"],
    ] as const) {
      const warehouse = await requireWarehouse(deps, code);
      if (!warehouse.active) {
        throw failedPrecondition(ErrorReason.WAREHOUSE_NOT_FOUND, `warehouse ${code} is inactive`, {
          field,
          warehouse_code: code,
        });
      }
    }
    const view = await deps.transaction(
      (trx) =>
        runIdempotent(
          trx,
          {
            principal: context.principal,
            operation: "transfer_create",
            key: idempotencyKey,
            fingerprint: fingerprintOf(request),
          },
          async () => {
            const now = deps.clock();
            const transfer = {
              transferId: uuidv7(),
              fromWarehouseCode: command.fromWarehouseCode,
              toWarehouseCode: command.toWarehouseCode,
              status: "requested" as const,
              lines: [...command.lines].sort((a, b) => a.sku.localeCompare(b.sku)),
            };
            await insertTransfer(trx, transfer, now);
            return { ...transfer, createdAt: now, updatedAt: now };
          },
        ),
      context,
    );
    return revive(view);
  };
}

async function lockTransferIn(
  trx: Parameters<typeof lockTransfer>[0],
  transferId: string,
  expected: TransferStatus,
) {
  const transfer = await lockTransfer(trx, transferId);
  if (!transfer) {
    throw notFound(ErrorReason.TRANSFER_NOT_FOUND, `transfer ${transferId} does not exist`, {
      transfer_id: transferId,
    });
  }
  if (transfer.status !== expected) {
    throw failedPrecondition(
      ErrorReason.INVALID_STATE_TRANSITION,
      `transfer ${transferId} is ${transfer.status}, not ${expected}`,
      { transfer_id: transferId, status: transfer.status },
    );
  }
  return transfer;
}

export function dispatchTransferUseCase(deps: UseCaseDeps) {
  return async function dispatchTransfer(
    command: { idempotencyKey: string; transferId: string },
    context: RequestContext,
  ): Promise<TransferView> {
    const view = await deps.transaction(
      (trx) =>
        runIdempotent(
          trx,
          {
            principal: context.principal,
            operation: "transfer_dispatch",
            key: command.idempotencyKey,
            fingerprint: fingerprintOf(command.transferId),
          },
          async () => {
            const now = deps.clock();
            const transfer = await lockTransferIn(trx, command.transferId, "requested");
            const sourceKeys: StockLevelKey[] = transfer.lines.map((l) => ({
              warehouseCode: transfer.fromWarehouseCode,
              sku: l.sku,
            }));
            const destinationKeys: StockLevelKey[] = transfer.lines.map((l) => ({
              warehouseCode: transfer.toWarehouseCode,
              sku: l.sku,
            }));
            await ensureStockLevels(trx, destinationKeys);
            // One ordered statement for both warehouses' levels: no deadlock with another transfer.
            const locked = await lockStockLevels(trx, [...sourceKeys, ...destinationKeys]);
            const lots = await findLots(trx, sourceKeys);
            const today = now.toISOString().slice(0, 10);
            const changes: StockChange[] = [];
            const lotWrites: LotWrite[] = [];
            for (const line of transfer.lines) {
              const source = { warehouseCode: transfer.fromWarehouseCode, sku: line.sku };
              const parts = allocateFefo(lots.get(levelKey(source)) ?? [], line.quantity, today);
              if (!parts) {
                throw failedPrecondition(
                  ErrorReason.INSUFFICIENT_STOCK,
                  `warehouse ${source.warehouseCode} lacks ${line.quantity} free unexpired units of sku ${line.sku} for transfer ${transfer.transferId}`,
                  { sku: line.sku, warehouse_code: source.warehouseCode },
                );
              }
              for (const part of parts) {
                changes.push({
                  key: source,
                  deltas: { onHand: -part.quantity },
                  reason: "transfer_out",
                  lotCode: part.lotCode,
                });
                lotWrites.push({
                  ...source,
                  lotCode: part.lotCode,
                  expiresOn: null,
                  onHandDelta: -part.quantity,
                  allocatedDelta: 0,
                });
              }
              changes.push({
                key: { warehouseCode: transfer.toWarehouseCode, sku: line.sku },
                deltas: { incoming: line.quantity },
                reason: "transfer_out",
              });
            }
            const reference = { type: "transfer", id: transfer.transferId };
            const planned = planStockChanges(locked, changes, {
              eventContext: context,
              reference,
              now,
              lots: lotWrites,
              violationReason: ErrorReason.INSUFFICIENT_STOCK,
            });
            await writeStockChanges(
              trx,
              { actor: context.actor, referenceType: reference.type, referenceId: reference.id },
              planned.writeSet,
            );
            await setTransferStatus(trx, transfer.transferId, "in_transit", now);
            return { ...transfer, status: "in_transit" as const, updatedAt: now };
          },
        ),
      context,
    );
    return revive(view);
  };
}

export function receiveTransferUseCase(deps: UseCaseDeps) {
  return async function receiveTransfer(
    command: { idempotencyKey: string; transferId: string },
    context: RequestContext,
  ): Promise<TransferView> {
    const view = await deps.transaction(
      (trx) =>
        runIdempotent(
          trx,
          {
            principal: context.principal,
            operation: "transfer_receive",
            key: command.idempotencyKey,
            fingerprint: fingerprintOf(command.transferId),
          },
          async () => {
            const now = deps.clock();
            const transfer = await lockTransferIn(trx, command.transferId, "in_transit");
            const warehouse = await lockWarehouseCapacity(trx, transfer.toWarehouseCode);
            if (!warehouse)
              throw internal(
                `warehouse ${transfer.toWarehouseCode} of transfer ${transfer.transferId} vanished`,
              );
            const units = transfer.lines.reduce((sum, line) => sum + line.quantity, 0);
            const capacity = decideCapacity(warehouse, units);
            if (capacity.refused) {
              throw failedPrecondition(
                ErrorReason.CAPACITY_EXCEEDED,
                `warehouse ${warehouse.code} holds ${warehouse.unitsStored} of ${warehouse.capacityUnits} units; receiving ${units} would exceed its capacity`,
                {
                  warehouse_code: warehouse.code,
                  free_units: String(Math.max(0, warehouse.capacityUnits - warehouse.unitsStored)),
                },
              );
            }
            const keys = transfer.lines.map((l) => ({ warehouseCode: transfer.toWarehouseCode, sku: l.sku }));
            const locked = await lockStockLevels(trx, keys);
            const parts = await findDispatchedLotParts(trx, transfer);
            const changes: StockChange[] = [];
            const lotWrites: LotWrite[] = [];
            for (const part of parts) {
              const key = { warehouseCode: transfer.toWarehouseCode, sku: part.sku };
              changes.push({
                key,
                deltas: { incoming: -part.quantity, onHand: part.quantity },
                reason: "transfer_in",
                lotCode: part.lotCode,
              });
              lotWrites.push({
                ...key,
                lotCode: part.lotCode,
                expiresOn: part.expiresOn,
                onHandDelta: part.quantity,
                allocatedDelta: 0,
              });
            }
            const extraEvents = await recordFillAlert(trx, warehouse, capacity, units, now);
            const reference = { type: "transfer", id: transfer.transferId };
            const planned = planStockChanges(locked, changes, {
              eventContext: context,
              reference,
              now,
              lots: lotWrites,
              extraEvents,
            });
            await writeStockChanges(
              trx,
              { actor: context.actor, referenceType: reference.type, referenceId: reference.id },
              planned.writeSet,
            );
            await setTransferStatus(trx, transfer.transferId, "received", now);
            return { ...transfer, status: "received" as const, updatedAt: now };
          },
        ),
      context,
    );
    return revive(view);
  };
}
