// The warehouse's WarehouseService as the fulfillment's WarehousePort: a client that signs each call
// with a short-lived service token, maps answers to the domain's shapes, and tells refusals (which a
// retry would only repeat) from transient failures.
import { createTokenIssuer } from "@stockroom/auth";
import { createClient, isGrpcCallError, status } from "@stockroom/grpc";
import { LineStatus, ReservationStatus } from "@stockroom/proto/stockroom/warehouse/v1/stock_pb.js";
import {
  AdjustmentReason,
  WarehouseAdminService,
} from "@stockroom/proto/stockroom/warehouse/v1/warehouse_admin_service_pb.js";
import {
  ItemCondition,
  QualityOutcome,
  WarehouseService,
} from "@stockroom/proto/stockroom/warehouse/v1/warehouse_service_pb.js";
import {
  type WarehouseLocationsPort,
  type WarehousePort,
  WarehouseRefusedError,
} from "../../app/warehouse.port.ts";
import type { ReservationAnswer, ReservedLine } from "../../domain/reservation-check.ts";

export interface WarehouseClientOptions {
  address: string;
  jwt: { secret: string; issuer: string; audience: string };
  deadlineMs?: number;
}

const RESERVATION_STATUS: Record<ReservationStatus, ReservationAnswer["status"] | undefined> = {
  [ReservationStatus.UNSPECIFIED]: undefined,
  [ReservationStatus.ACTIVE]: "active",
  [ReservationStatus.CONFIRMED]: "confirmed",
  [ReservationStatus.RELEASED]: "released",
  [ReservationStatus.EXPIRED]: "expired",
  [ReservationStatus.CANCELLED]: "cancelled",
  [ReservationStatus.SHIPPED]: "shipped",
};

const LINE_STATUS: Record<LineStatus, ReservedLine["status"] | undefined> = {
  [LineStatus.UNSPECIFIED]: undefined,
  [LineStatus.HELD]: "held",
  [LineStatus.COMMITTED]: "committed",
  [LineStatus.SHIPPED]: "shipped",
  [LineStatus.RELEASED]: "released",
};

const REFUSALS = new Set<status>([
  status.INVALID_ARGUMENT,
  status.NOT_FOUND,
  status.FAILED_PRECONDITION,
  status.PERMISSION_DENIED,
  status.ALREADY_EXISTS,
]);

// Transient failures (unavailable, deadline, aborted, resource exhausted) are retried by the worker.
export function isRetryableWarehouseError(err: unknown): boolean {
  return !(isGrpcCallError(err) && (REFUSALS.has(err.code) || err.code === status.UNAUTHENTICATED));
}

async function refusalsTyped<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isGrpcCallError(err) && REFUSALS.has(err.code))
      throw new WarehouseRefusedError(err.message, { cause: err });
    throw err;
  }
}

export function createWarehouseClient(
  options: WarehouseClientOptions,
): WarehousePort & WarehouseLocationsPort & { close(): void } {
  const issuer = createTokenIssuer(options.jwt);
  const token = () => issuer.issue({ subject: "service:fulfillment", roles: ["service"], ttlSec: 300 });
  const defaultDeadlineMs = options.deadlineMs ?? 10_000;
  const client = createClient(WarehouseService, options.address, { defaultDeadlineMs, token });
  const admin = createClient(WarehouseAdminService, options.address, { defaultDeadlineMs, token });
  return {
    async listUnitLocations(warehouseCode, skus) {
      const { locations } = await client.listUnitLocations({ warehouseCode, skus: [...skus] });
      return locations.map((l) => ({
        sku: l.sku,
        lotCode: l.lotCode,
        binCode: l.binCode,
        zone: l.zone,
        aisle: l.aisle,
        position: l.position,
        pickSequence: l.pickSequence,
        units: Number(l.units),
      }));
    },
    async postStockLoss(input) {
      await refusalsTyped(() =>
        admin.adjustStock({
          idempotencyKey: input.idempotencyKey,
          warehouseCode: input.warehouseCode,
          sku: input.sku,
          lotCode: input.lotCode,
          quantityDelta: -input.quantity,
          reason: AdjustmentReason.LOSS,
          note: input.note,
        }),
      );
    },
    async recordQualityCheck(input) {
      await refusalsTyped(() =>
        client.recordQualityCheck({
          idempotencyKey: input.idempotencyKey,
          warehouseCode: input.warehouseCode,
          sku: input.sku,
          quantity: input.quantity,
          lotCode: input.lotCode,
          outcome: input.outcome === "hold" ? QualityOutcome.HOLD : QualityOutcome.FAIL,
          reason: input.reason,
          reference: input.reference,
        }),
      );
    },
    async getReservation(reservationId) {
      try {
        const { reservation } = await client.getReservation({ reservationId });
        const state = reservation && RESERVATION_STATUS[reservation.status];
        if (!reservation || !state) return undefined;
        return {
          status: state,
          lines: reservation.lines.flatMap((l) => {
            const lineStatus = LINE_STATUS[l.status];
            if (!lineStatus) return [];
            return [
              {
                lineNumber: l.lineNumber,
                sku: l.sku,
                status: lineStatus,
                allocations: l.allocations.map((a) => ({
                  warehouseCode: a.warehouseCode,
                  lotCode: a.lotCode,
                  quantity: a.quantity,
                })),
              },
            ];
          }),
        };
      } catch (err) {
        if (isGrpcCallError(err) && err.code === status.NOT_FOUND) return undefined;
        throw err;
      }
    },
    async shipReservation(input) {
      await refusalsTyped(() =>
        client.shipReservation({
          idempotencyKey: input.idempotencyKey,
          reservationId: input.reservationId,
          lineNumbers: input.lineNumbers,
          shipmentId: input.shipmentId,
        }),
      );
    },
    async cancelReservation(input) {
      await refusalsTyped(() => client.cancelReservation(input));
    },
    async restockReturn(input) {
      await refusalsTyped(() =>
        client.restockReturn({
          idempotencyKey: input.idempotencyKey,
          returnId: input.returnId,
          lines: input.lines.map((l) => ({
            sku: l.sku,
            warehouseCode: l.warehouseCode,
            quantity: l.quantity,
            lotCode: l.lotCode,
            condition: l.condition === "sellable" ? ItemCondition.SELLABLE : ItemCondition.DAMAGED,
          })),
        }),
      );
    },
    async holdForQualityCheck(input) {
      await refusalsTyped(() =>
        client.recordQualityCheck({
          idempotencyKey: input.idempotencyKey,
          warehouseCode: input.warehouseCode,
          sku: input.sku,
          quantity: input.quantity,
          lotCode: input.lotCode,
          outcome: QualityOutcome.HOLD,
          reason: input.reason,
          reference: { type: "return", id: input.returnId },
        }),
      );
    },
    close: () => {
      client.close();
      admin.close();
    },
  };
}
