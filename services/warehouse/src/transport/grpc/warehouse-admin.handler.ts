// WarehouseAdminService over gRPC: each RPC validates and decodes its request, calls one admin use
// case, encodes the answer. Roles: ops and admin run the day-to-day operations; creating or changing
// warehouses and bins (the structure allocation and capacity depend on) and Reconcile (a full scan of
// the ledger) are admin only.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { collectViolations, invalidArgument, isAppError } from "@stockroom/errors";
import type { ServiceImpl, ServicePolicy } from "@stockroom/grpc";
import {
  CoordinatesSchema,
  ReservationStatus as ProtoReservationStatus,
  ReferenceSchema,
} from "@stockroom/proto/stockroom/warehouse/v1/stock_pb.js";
import {
  AdjustmentReason,
  type AdjustStockRequest,
  type Bin,
  BinSchema,
  CapacityPolicy,
  type ListMovementsRequest,
  type ListReservationsRequest,
  type Movement,
  MovementSchema,
  type Transfer,
  TransferSchema,
  TransferStatus,
  type Warehouse,
  type WarehouseAdminService,
  WarehouseSchema,
} from "@stockroom/proto/stockroom/warehouse/v1/warehouse_admin_service_pb.js";
import type {
  AdjustStockCommand,
  AdjustmentReason as DomainAdjustmentReason,
} from "../../app/admin/adjust-stock.ts";
import type { ListMovementsQuery } from "../../app/admin/list-movements.ts";
import type { ListReservationsQuery } from "../../app/admin/list-reservations.ts";
import type { TransferView } from "../../app/admin/transfers.ts";
import type { AdminUseCases } from "../../app/build-use-cases.ts";
import { isMovementReason } from "../../domain/movement-reason.ts";
import type { ReservationStatus } from "../../domain/reservation.ts";
import type { MovementFilter, MovementRow } from "../../domain/stock-movement.ts";
import {
  type BinRecord,
  DEFAULT_FILL_ALERT_RATIO,
  NEW_WAREHOUSE_ACTIVE,
  type WarehouseFields,
  type WarehouseRecord,
} from "../../domain/warehouse.ts";
import * as validate from "./validate.ts";
import { requestContextFrom } from "./warehouse.handler.ts";
import { encodeReservation, encodeStockLevel } from "./warehouse-mapping.ts";

const OPERATORS = ["ops", "admin"] as const;
// Reads other services need (the order service checks that a cart's warehouse exists: ORD-P0-02).
const READERS = ["ops", "admin", "service"] as const;
const ADMINS = ["admin"] as const;
// The fulfillment service posts a short pick's missing units as a LOSS adjustment (issue 14).
const ADJUSTERS = ["ops", "admin", "service"] as const;

export const WAREHOUSE_ADMIN_POLICY: ServicePolicy<typeof WarehouseAdminService> = {
  createWarehouse: ADMINS,
  updateWarehouse: ADMINS,
  getWarehouse: READERS,
  listWarehouses: OPERATORS,
  createBin: ADMINS,
  listBins: OPERATORS,
  deleteBin: ADMINS,
  setStockPolicy: OPERATORS,
  receiveStock: OPERATORS,
  adjustStock: ADJUSTERS,
  bulkAdjustStock: OPERATORS,
  createTransfer: OPERATORS,
  dispatchTransfer: OPERATORS,
  receiveTransfer: OPERATORS,
  recordCycleCount: OPERATORS,
  listMovements: OPERATORS,
  exportMovements: OPERATORS,
  reconcile: ADMINS,
  listReservations: OPERATORS,
};

const RESERVATION_STATUS = new Map<number, ReservationStatus | undefined>([
  [ProtoReservationStatus.UNSPECIFIED, undefined],
  [ProtoReservationStatus.ACTIVE, "active"],
  [ProtoReservationStatus.CONFIRMED, "confirmed"],
  [ProtoReservationStatus.RELEASED, "released"],
  [ProtoReservationStatus.EXPIRED, "expired"],
  [ProtoReservationStatus.CANCELLED, "cancelled"],
  [ProtoReservationStatus.SHIPPED, "shipped"],
]);

function decodeListReservations(request: ListReservationsRequest): ListReservationsQuery {
  return collectViolations((check) => ({
    reference: check(() => validate.optionalReference(request.reference)),
    status: check(() => {
      if (!RESERVATION_STATUS.has(request.status)) {
        throw invalidArgument("status", `status ${request.status} is not a reservation status`);
      }
      return RESERVATION_STATUS.get(request.status);
    }),
    pageSize: request.pageSize,
    pageToken: request.pageToken,
  }));
}

const MAX_IMPORT_ID_LENGTH = 128;
const MAX_NOTE_LENGTH = 500;

function decodeWarehouse(warehouse: Warehouse | undefined): WarehouseFields {
  if (!warehouse) throw invalidArgument("warehouse", "warehouse is required");
  const policy = new Map<number, "refuse" | "flag">([
    [CapacityPolicy.UNSPECIFIED, "refuse"],
    [CapacityPolicy.REFUSE, "refuse"],
    [CapacityPolicy.FLAG, "flag"],
  ]).get(warehouse.capacityPolicy);
  if (!policy) throw invalidArgument("warehouse.capacity_policy", "is not a known capacity policy");
  return {
    code: warehouse.code,
    name: warehouse.name,
    address: warehouse.address,
    location: warehouse.location
      ? (validate.coordinates(warehouse.location, "warehouse.location") ?? null)
      : null,
    capacityUnits: Number(warehouse.capacityUnits),
    // Unset (0) means the documented default.
    fillAlertRatio: warehouse.fillAlertRatio === 0 ? DEFAULT_FILL_ALERT_RATIO : warehouse.fillAlertRatio,
    capacityPolicy: policy,
    priority: warehouse.priority,
    active: warehouse.active,
  };
}

function encodeWarehouse(record: WarehouseRecord): Warehouse {
  return create(WarehouseSchema, {
    code: record.code,
    name: record.name,
    address: record.address,
    location: record.location ? create(CoordinatesSchema, record.location) : undefined,
    capacityUnits: BigInt(record.capacityUnits),
    fillAlertRatio: record.fillAlertRatio,
    capacityPolicy: record.capacityPolicy === "flag" ? CapacityPolicy.FLAG : CapacityPolicy.REFUSE,
    priority: record.priority,
    active: record.active,
    unitsStored: BigInt(record.unitsStored),
    createdAt: timestampFromDate(record.createdAt),
    updatedAt: timestampFromDate(record.updatedAt),
  });
}

function decodeBin(bin: Bin | undefined): BinRecord {
  if (!bin) throw invalidArgument("bin", "bin is required");
  return {
    warehouseCode: validate.warehouseCode(bin.warehouseCode, "bin.warehouse_code"),
    code: bin.code,
    zone: bin.zone,
    aisle: bin.aisle,
    position: bin.position,
    pickSequence: bin.pickSequence,
  };
}

function encodeBin(bin: BinRecord): Bin {
  return create(BinSchema, bin);
}

const ADJUSTMENT_REASONS = new Map<number, DomainAdjustmentReason>([
  [AdjustmentReason.DAMAGE, "damage"],
  [AdjustmentReason.LOSS, "loss"],
  [AdjustmentReason.FOUND, "found"],
  [AdjustmentReason.CORRECTION, "correction"],
]);

function decodeAdjustment(
  request: AdjustStockRequest,
  prefix = "",
): Omit<AdjustStockCommand, "idempotencyKey"> {
  return collectViolations((check) => {
    const reason = check(() => {
      const known = ADJUSTMENT_REASONS.get(request.reason);
      if (!known)
        throw invalidArgument(`${prefix}reason`, `${prefix}reason must be DAMAGE, LOSS, FOUND or CORRECTION`);
      return known;
    });
    check(() => {
      if (!Number.isInteger(request.quantityDelta) || request.quantityDelta === 0) {
        throw invalidArgument(
          `${prefix}quantity_delta`,
          `${prefix}quantity_delta must be a non-zero integer`,
        );
      }
      if (Math.abs(request.quantityDelta) > validate.MAX_QUANTITY) {
        throw invalidArgument(
          `${prefix}quantity_delta`,
          `${prefix}quantity_delta must be within ±${validate.MAX_QUANTITY}`,
        );
      }
    });
    return {
      warehouseCode: check(() => validate.warehouseCode(request.warehouseCode, `${prefix}warehouse_code`)),
      sku: check(() => validate.sku(request.sku, `${prefix}sku`)),
      quantityDelta: request.quantityDelta,
      reason,
      note: check(() => validate.reason(request.note, `${prefix}note`, MAX_NOTE_LENGTH)),
      lotCode: check(() => validate.optionalLotCode(request.lotCode, `${prefix}lot_code`)) ?? "",
    };
  });
}

const TRANSFER_STATUS = {
  requested: TransferStatus.REQUESTED,
  in_transit: TransferStatus.IN_TRANSIT,
  received: TransferStatus.RECEIVED,
};

function encodeTransfer(view: TransferView): Transfer {
  return create(TransferSchema, {
    transferId: view.transferId,
    fromWarehouseCode: view.fromWarehouseCode,
    toWarehouseCode: view.toWarehouseCode,
    status: TRANSFER_STATUS[view.status],
    lines: view.lines,
    createdAt: timestampFromDate(view.createdAt),
    updatedAt: timestampFromDate(view.updatedAt),
  });
}

function decodeMovementFilter(
  request: ListMovementsRequest | undefined,
  prefix = "",
): MovementFilter & { pageToken: string } {
  if (!request) return { pageToken: "" };
  return collectViolations((check) => {
    check(() => {
      if (request.reason !== "" && !isMovementReason(request.reason)) {
        throw invalidArgument(
          `${prefix}reason`,
          `${prefix}reason ${request.reason} is not a movement reason`,
        );
      }
    });
    return {
      warehouseCode: check(() =>
        validate.optionalWarehouseCode(request.warehouseCode, `${prefix}warehouse_code`),
      ),
      sku: request.sku === "" ? undefined : check(() => validate.sku(request.sku, `${prefix}sku`)),
      reason: request.reason || undefined,
      referenceId: request.referenceId || undefined,
      actor: check(() => validate.optionalActor(request.actor, `${prefix}actor`)),
      from: check(() => validate.optionalTimestamp(request.from, `${prefix}from`)),
      to: check(() => validate.optionalTimestamp(request.to, `${prefix}to`)),
      pageToken: request.pageToken,
    };
  });
}

function encodeMovement(m: MovementRow): Movement {
  const big = (n: number) => BigInt(n);
  return create(MovementSchema, {
    movementId: big(m.movementId),
    occurredAt: timestampFromDate(m.occurredAt),
    warehouseCode: m.warehouseCode,
    sku: m.sku,
    lotCode: m.lotCode ?? "",
    reason: m.reason,
    actor: m.actor,
    reference: create(ReferenceSchema, { type: m.referenceType, id: m.referenceId }),
    note: m.note ?? "",
    onHandDelta: big(m.deltas.onHand),
    reservedDelta: big(m.deltas.reserved),
    committedDelta: big(m.deltas.committed),
    safetyStockDelta: big(m.deltas.safetyStock),
    damagedDelta: big(m.deltas.damaged),
    qualityControlDelta: big(m.deltas.qualityControl),
    incomingDelta: big(m.deltas.incoming),
    // The ledger keeps buckets and version; the threshold is not a ledger figure.
    balance: encodeStockLevel({
      warehouseCode: m.warehouseCode,
      sku: m.sku,
      ...m.after,
      lowStockThreshold: 0,
      version: m.levelVersion,
      updatedAt: m.occurredAt,
    }),
  });
}

export function createWarehouseAdminHandler(
  useCases: AdminUseCases,
): ServiceImpl<typeof WarehouseAdminService> {
  return {
    async createWarehouse(request, ctx) {
      const command = collectViolations((check) => ({
        idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
        ...check(() => decodeWarehouse(request.warehouse)),
        // proto3 cannot tell an unset `active` from false: a created warehouse takes the domain's default.
        active: NEW_WAREHOUSE_ACTIVE,
      }));
      return { warehouse: encodeWarehouse(await useCases.createWarehouse(command, requestContextFrom(ctx))) };
    },
    async updateWarehouse(request, ctx) {
      const command = collectViolations((check) => ({
        idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
        ...check(() => decodeWarehouse(request.warehouse)),
      }));
      return { warehouse: encodeWarehouse(await useCases.updateWarehouse(command, requestContextFrom(ctx))) };
    },
    async getWarehouse(request) {
      return {
        warehouse: encodeWarehouse(await useCases.getWarehouse(validate.warehouseCode(request.code, "code"))),
      };
    },
    async listWarehouses(request) {
      return { warehouses: (await useCases.listWarehouses(request.includeInactive)).map(encodeWarehouse) };
    },
    async createBin(request, ctx) {
      const command = collectViolations((check) => ({
        idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
        ...check(() => decodeBin(request.bin)),
      }));
      return { bin: encodeBin(await useCases.createBin(command, requestContextFrom(ctx))) };
    },
    async listBins(request) {
      return {
        bins: (await useCases.listBins(validate.warehouseCode(request.warehouseCode))).map(encodeBin),
      };
    },
    async deleteBin(request, ctx) {
      const command = collectViolations((check) => ({
        idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
        warehouseCode: check(() => validate.warehouseCode(request.warehouseCode)),
        // Its format is checked by the use case, like CreateBin's bin.code.
        code: request.code,
      }));
      await useCases.deleteBin(command, requestContextFrom(ctx));
      return {};
    },
    async setStockPolicy(request, ctx) {
      const level = await useCases.setStockPolicy(
        collectViolations((check) => ({
          idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
          warehouseCode: check(() => validate.warehouseCode(request.warehouseCode)),
          sku: check(() => validate.sku(request.sku)),
          safetyStock: Number(request.safetyStock),
          lowStockThreshold: Number(request.lowStockThreshold),
        })),
        requestContextFrom(ctx),
      );
      return { level: encodeStockLevel(level) };
    },
    async receiveStock(request, ctx) {
      const result = await useCases.receiveStock(
        collectViolations((check) => {
          check(() => validate.lineCount(request.lines));
          return {
            idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
            warehouseCode: check(() => validate.warehouseCode(request.warehouseCode)),
            reference: check(() => validate.reference(request.reference)),
            lines: request.lines.map((line, i) => ({
              sku: check(() => validate.sku(line.sku, `lines[${i}].sku`)),
              quantity: check(() => validate.quantity(line.quantity, `lines[${i}].quantity`)),
              lotCode: check(() => validate.optionalLotCode(line.lotCode, `lines[${i}].lot_code`)) ?? "",
              expiresOn: check(() => validate.optionalDate(line.expiresOn, `lines[${i}].expires_on`)) ?? null,
              // Absent (undefined, dropped from the fingerprint) when the line names no bin.
              binCode: check(() => validate.optionalBinCode(line.binCode, `lines[${i}].bin_code`)),
            })),
          };
        }),
        requestContextFrom(ctx),
      );
      return { levels: result.levels.map(encodeStockLevel), overCapacity: result.overCapacity };
    },
    async adjustStock(request, ctx) {
      const command = collectViolations((check) => ({
        idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
        ...check(() => decodeAdjustment(request)),
      }));
      return { level: encodeStockLevel(await useCases.adjustStock(command, requestContextFrom(ctx))) };
    },
    async bulkAdjustStock(requests, ctx) {
      async function* rows() {
        for await (const request of requests) {
          if (request.importId === "" || request.importId.length > MAX_IMPORT_ID_LENGTH) {
            throw invalidArgument("import_id", `import_id must be 1..${MAX_IMPORT_ID_LENGTH} characters`);
          }
          let adjustment: ReturnType<typeof decodeAdjustment> | { error: string };
          try {
            if (!request.adjustment) throw invalidArgument("adjustment", "adjustment is required");
            adjustment = decodeAdjustment(request.adjustment, "adjustment.");
          } catch (err) {
            if (!isAppError(err)) throw err;
            adjustment = { error: `${err.field ?? ""}: ${err.message}` };
          }
          yield { importId: request.importId, rowNumber: request.rowNumber, adjustment };
        }
      }
      const result = await useCases.bulkAdjustStock(rows(), requestContextFrom(ctx));
      return {
        ...result,
        results: result.results.map((r) => ({
          ...r,
          level: r.level ? encodeStockLevel(r.level) : undefined,
        })),
      };
    },
    async createTransfer(request, ctx) {
      const transfer = await useCases.createTransfer(
        collectViolations((check) => {
          check(() => validate.lineCount(request.lines));
          return {
            idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
            fromWarehouseCode: check(() =>
              validate.warehouseCode(request.fromWarehouseCode, "from_warehouse_code"),
            ),
            toWarehouseCode: check(() =>
              validate.warehouseCode(request.toWarehouseCode, "to_warehouse_code"),
            ),
            lines: request.lines.map((line, i) => ({
              sku: check(() => validate.sku(line.sku, `lines[${i}].sku`)),
              quantity: check(() => validate.quantity(line.quantity, `lines[${i}].quantity`)),
            })),
          };
        }),
        requestContextFrom(ctx),
      );
      return { transfer: encodeTransfer(transfer) };
    },
    async dispatchTransfer(request, ctx) {
      const command = collectViolations((check) => ({
        idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
        transferId: check(() => validate.uuid(request.transferId, "transfer_id")),
      }));
      return { transfer: encodeTransfer(await useCases.dispatchTransfer(command, requestContextFrom(ctx))) };
    },
    async receiveTransfer(request, ctx) {
      const command = collectViolations((check) => ({
        idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
        transferId: check(() => validate.uuid(request.transferId, "transfer_id")),
      }));
      return { transfer: encodeTransfer(await useCases.receiveTransfer(command, requestContextFrom(ctx))) };
    },
    async recordCycleCount(request, ctx) {
      const result = await useCases.recordCycleCount(
        collectViolations((check) => ({
          idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
          warehouseCode: check(() => validate.warehouseCode(request.warehouseCode)),
          sku: check(() => validate.sku(request.sku)),
          countedQuantity: Number(request.countedQuantity),
          countedBy: check(() => validate.reason(request.countedBy, "counted_by", 200)),
        })),
        requestContextFrom(ctx),
      );
      return { level: encodeStockLevel(result.level), variance: BigInt(result.variance) };
    },
    async listMovements(request) {
      const query: ListMovementsQuery = { ...decodeMovementFilter(request), pageSize: request.pageSize };
      const page = await useCases.listMovements(query);
      return { movements: page.movements.map(encodeMovement), nextPageToken: page.nextPageToken };
    },
    async *exportMovements(request) {
      const encoder = new TextEncoder();
      for await (const chunk of useCases.exportMovements(decodeMovementFilter(request.filter, "filter."))) {
        yield { csvChunk: encoder.encode(chunk) };
      }
    },
    async listReservations(request) {
      const page = await useCases.listReservations(decodeListReservations(request));
      return { reservations: page.reservations.map(encodeReservation), nextPageToken: page.nextPageToken };
    },
    async reconcile() {
      const result = await useCases.reconcile();
      return {
        levelsChecked: result.levelsChecked,
        drifts: result.drifts.map((d) => ({
          ...d,
          stored: BigInt(d.stored),
          fromLedger: BigInt(d.fromLedger),
        })),
      };
    },
  };
}
