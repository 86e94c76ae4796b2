// Proto ↔ domain for WarehouseService: decoders validate a request and build a use-case command;
// encoders turn use-case results into response messages. No business rules here.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { collectViolations, invalidArgument } from "@stockroom/errors";
import {
  LineStatus,
  type Reservation,
  ReservationSchema,
  ReservationStatus,
  type Shortage,
  ShortageSchema,
  type SkuStock,
  SkuStockSchema,
  type StockLevel,
} from "@stockroom/proto/stockroom/warehouse/v1/stock_pb.js";
import {
  type CancelReservationRequest,
  type ConfirmReservationRequest,
  type ExtendReservationRequest,
  ItemCondition,
  QualityOutcome,
  type RecordQualityCheckRequest,
  type ReleaseReservationRequest,
  type ReserveRequest,
  type RestockReturnRequest,
  type ShipReservationRequest,
} from "@stockroom/proto/stockroom/warehouse/v1/warehouse_service_pb.js";
import type { SkuStock as DomainSkuStock } from "../../app/get-stock.ts";
import type { RecordQualityCheckCommand } from "../../app/record-quality-check.ts";
import type { ReserveCommand } from "../../app/reserve-stock.ts";
import type { RestockReturnCommand } from "../../app/restock-return.ts";
import { type LevelSnapshot, stockLevelMessage } from "../../app/stock-events.ts";
import type { LineShortage } from "../../domain/allocation-plan.ts";
import type {
  LineStatus as DomainLineStatus,
  ReservationStatus as DomainStatus,
  ReservationView,
} from "../../domain/reservation.ts";
import type { ReservationTtlPolicy } from "../../domain/reservation-ttl.ts";
import * as validate from "./validate.ts";

// ---- decoders -------------------------------------------------------------------------------------

// Each decoder checks every field through collectViolations, so a bad request is refused once with
// all its wrong fields listed, not one field per round trip.
export function decodeReserve(request: ReserveRequest, ttlPolicy: ReservationTtlPolicy): ReserveCommand {
  return collectViolations((check) => {
    const idempotencyKey = check(() => validate.idempotencyKey(request.idempotencyKey));
    const reference = check(() => validate.reference(request.reference));
    check(() => validate.lineCount(request.lines));
    const lines = request.lines.map((line, index) => ({
      sku: check(() => validate.sku(line.sku, `lines[${index}].sku`)),
      quantity: check(() => validate.quantity(line.quantity, `lines[${index}].quantity`)),
      warehouseCode: check(() =>
        validate.optionalWarehouseCode(line.warehouseCode, `lines[${index}].warehouse_code`),
      ),
    }));
    return {
      idempotencyKey,
      reference,
      lines,
      ttlMs: check(() => validate.ttl(request.ttl, ttlPolicy)),
      paymentMethod: check(() => validate.paymentMethod(request.paymentMethod)),
      allowPartial: request.allowPartial,
      allowSplit: request.allowSplit,
      destination: check(() => validate.coordinates(request.destination)),
    };
  });
}

export function decodeExtend(request: ExtendReservationRequest, ttlPolicy: ReservationTtlPolicy) {
  return collectViolations((check) => {
    const idempotencyKey = check(() => validate.idempotencyKey(request.idempotencyKey));
    const reservationId = check(() => validate.reservationId(request.reservationId));
    const ttlMs = check(() => {
      const ms = validate.ttl(request.ttl, ttlPolicy);
      if (ms === undefined) throw invalidArgument("ttl", "ttl is required");
      return ms;
    });
    return { idempotencyKey, reservationId, ttlMs };
  });
}

export function decodeRelease(request: ReleaseReservationRequest | CancelReservationRequest) {
  return collectViolations((check) => ({
    idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
    reservationId: check(() => validate.reservationId(request.reservationId)),
    reason: check(() => validate.reason(request.reason)),
  }));
}

export function decodeConfirm(request: ConfirmReservationRequest) {
  return collectViolations((check) => {
    const idempotencyKey = check(() => validate.idempotencyKey(request.idempotencyKey));
    const reservationId = check(() => validate.reservationId(request.reservationId));
    const order = check(() => validate.optionalReference(request.order, "order"));
    return { idempotencyKey, reservationId, orderReference: order ? `${order.type}:${order.id}` : null };
  });
}

export function decodeShip(request: ShipReservationRequest) {
  return collectViolations((check) => {
    const idempotencyKey = check(() => validate.idempotencyKey(request.idempotencyKey));
    const reservationId = check(() => validate.reservationId(request.reservationId));
    const lineNumbers = request.lineNumbers.map((n, index) =>
      check(() => {
        if (!Number.isInteger(n) || n < 1)
          throw invalidArgument(`line_numbers[${index}]`, `line_numbers[${index}] must be >= 1`);
        return n;
      }),
    );
    check(() => {
      if (request.shipmentId.length > 128)
        throw invalidArgument("shipment_id", "shipment_id must be at most 128 characters");
    });
    return { idempotencyKey, reservationId, lineNumbers, shipmentId: request.shipmentId };
  });
}

const CONDITIONS = new Map<number, "sellable" | "damaged">([
  [ItemCondition.SELLABLE, "sellable"],
  [ItemCondition.DAMAGED, "damaged"],
]);

export function decodeRestockReturn(request: RestockReturnRequest): RestockReturnCommand {
  return collectViolations((check) => {
    const idempotencyKey = check(() => validate.idempotencyKey(request.idempotencyKey));
    check(() => {
      if (request.returnId === "" || request.returnId.length > 128) {
        throw invalidArgument("return_id", "return_id must be 1..128 characters");
      }
    });
    check(() => validate.lineCount(request.lines));
    const lines = request.lines.map((line, index) => ({
      condition: check(() => {
        const condition = CONDITIONS.get(line.condition);
        if (condition === undefined) {
          throw invalidArgument(
            `lines[${index}].condition`,
            `lines[${index}].condition must be SELLABLE or DAMAGED`,
          );
        }
        return condition;
      }),
      sku: check(() => validate.sku(line.sku, `lines[${index}].sku`)),
      warehouseCode: check(() =>
        validate.warehouseCode(line.warehouseCode, `lines[${index}].warehouse_code`),
      ),
      quantity: check(() => validate.quantity(line.quantity, `lines[${index}].quantity`)),
      lotCode: check(() => validate.optionalLotCode(line.lotCode, `lines[${index}].lot_code`)) ?? "",
    }));
    return { idempotencyKey, returnId: request.returnId, lines };
  });
}

const OUTCOMES = new Map<number, RecordQualityCheckCommand["outcome"]>([
  [QualityOutcome.HOLD, "hold"],
  [QualityOutcome.PASS, "pass"],
  [QualityOutcome.FAIL, "fail"],
]);

export function decodeRecordQualityCheck(request: RecordQualityCheckRequest): RecordQualityCheckCommand {
  return collectViolations((check) => ({
    idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
    outcome: check(() => {
      const outcome = OUTCOMES.get(request.outcome);
      if (outcome === undefined) throw invalidArgument("outcome", "outcome must be HOLD, PASS or FAIL");
      return outcome;
    }),
    warehouseCode: check(() => validate.warehouseCode(request.warehouseCode)),
    sku: check(() => validate.sku(request.sku)),
    quantity: check(() => validate.quantity(request.quantity)),
    reason: check(() => validate.reason(request.reason)),
    reference: check(() => validate.reference(request.reference)),
    lotCode: check(() => validate.optionalLotCode(request.lotCode)) ?? "",
  }));
}

// ---- encoders -------------------------------------------------------------------------------------

// Idempotent replays come back from JSON, so dates may arrive as ISO strings.
function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}

export function encodeStockLevel(
  level: LevelSnapshot | (Omit<LevelSnapshot, "updatedAt"> & { updatedAt: Date | string }),
): StockLevel {
  return stockLevelMessage({ ...level, updatedAt: toDate(level.updatedAt) });
}

export function encodeSkuStock(stock: DomainSkuStock): SkuStock {
  return create(SkuStockSchema, {
    sku: stock.sku,
    levels: stock.levels.map(encodeStockLevel),
    totalOnHand: BigInt(stock.totalOnHand),
    totalAvailable: BigInt(stock.totalAvailable),
  });
}

const STATUS: Record<DomainStatus, ReservationStatus> = {
  active: ReservationStatus.ACTIVE,
  confirmed: ReservationStatus.CONFIRMED,
  released: ReservationStatus.RELEASED,
  expired: ReservationStatus.EXPIRED,
  cancelled: ReservationStatus.CANCELLED,
  shipped: ReservationStatus.SHIPPED,
};

const LINE_STATUS: Record<DomainLineStatus, LineStatus> = {
  held: LineStatus.HELD,
  committed: LineStatus.COMMITTED,
  shipped: LineStatus.SHIPPED,
  released: LineStatus.RELEASED,
};

export function encodeReservation(view: ReservationView): Reservation {
  return create(ReservationSchema, {
    reservationId: view.reservationId,
    reference: { type: view.referenceType, id: view.referenceId },
    status: STATUS[view.status],
    lines: view.lines.map((line) => ({
      lineNumber: line.lineNumber,
      sku: line.sku,
      quantity: line.quantity,
      status: LINE_STATUS[line.status],
      allocations: line.allocations.map((a) => ({
        warehouseCode: a.warehouseCode,
        lotCode: a.lotCode,
        quantity: a.quantity,
      })),
    })),
    expiresAt: view.expiresAt === null ? undefined : timestampFromDate(new Date(view.expiresAt)),
    createdAt: timestampFromDate(new Date(view.createdAt)),
    updatedAt: timestampFromDate(new Date(view.updatedAt)),
    version: BigInt(view.version),
  });
}

export function encodeShortage(shortage: LineShortage): Shortage {
  return create(ShortageSchema, {
    lineNumber: shortage.lineNumber,
    sku: shortage.sku,
    requested: shortage.requested,
    available: BigInt(shortage.available),
    warehouseCode: shortage.warehouseCode,
  });
}
