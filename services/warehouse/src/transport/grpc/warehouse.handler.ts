// WarehouseService over gRPC: each RPC decodes and validates its request, calls one use case, encodes.
import { collectViolations } from "@stockroom/errors";
import type { CallContext, ServiceImpl, ServicePolicy } from "@stockroom/grpc";
import type { WarehouseService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_service_pb.js";
import type { WarehouseUseCases } from "../../app/build-use-cases.ts";
import type { RequestContext } from "../../app/use-case-deps.ts";
import type { ReservationTtlPolicy } from "../../domain/reservation-ttl.ts";
import * as validate from "./validate.ts";
import {
  decodeConfirm,
  decodeExtend,
  decodeRecordQualityCheck,
  decodeRelease,
  decodeReserve,
  decodeRestockReturn,
  decodeShip,
  encodeReservation,
  encodeShortage,
  encodeSkuStock,
  encodeStockLevel,
} from "./warehouse-mapping.ts";

const READERS = ["storefront", "ops", "admin", "service"] as const;
const RESERVERS = ["storefront", "service", "ops", "admin"] as const;
const OPERATORS = ["ops", "admin", "service"] as const;

export const WAREHOUSE_POLICY: ServicePolicy<typeof WarehouseService> = {
  getStock: READERS,
  batchGetStock: READERS,
  getReservation: READERS,
  reserve: RESERVERS,
  extendReservation: RESERVERS,
  releaseReservation: RESERVERS,
  confirmReservation: RESERVERS,
  cancelReservation: RESERVERS,
  shipReservation: OPERATORS,
  restockReturn: OPERATORS,
  recordQualityCheck: OPERATORS,
  listUnitLocations: OPERATORS,
};

const MAX_BATCH_SKUS = 100;

// Who asks, the ids the events will carry, and the call's deadline and signal. A caller's correlation id
// joins its saga's events.
export function requestContextFrom(ctx: CallContext): RequestContext {
  return {
    producer: "warehouse",
    actor: ctx.principal?.subject ?? "anonymous",
    principal: ctx.principal?.subject ?? "anonymous",
    correlationId: correlationIdFrom(ctx) ?? ctx.requestId,
    traceId: ctx.traceId,
    traceparent: ctx.traceparent,
    deadline: ctx.deadline,
    // Read when first used: the pipeline makes the call's AbortController on demand.
    get signal() {
      return ctx.signal;
    },
  };
}

function correlationIdFrom(ctx: CallContext): string | undefined {
  const value = ctx.metadata.get("x-correlation-id")[0];
  return typeof value === "string" && /^[A-Za-z0-9._:-]{1,128}$/.test(value) ? value : undefined;
}

export function createWarehouseHandler(
  useCases: WarehouseUseCases,
  ttlPolicy: ReservationTtlPolicy,
): ServiceImpl<typeof WarehouseService> {
  return {
    async getStock(request) {
      const { sku, warehouseCode } = collectViolations((check) => ({
        sku: check(() => validate.sku(request.sku)),
        warehouseCode: check(() => validate.optionalWarehouseCode(request.warehouseCode)),
      }));
      const [stock] = await useCases.getStock([sku], warehouseCode);
      return { stock: stock ? encodeSkuStock(stock) : undefined };
    },
    async batchGetStock(request) {
      const { skus, warehouseCode } = collectViolations((check) => {
        check(() => validate.lineCount(request.skus, "skus", MAX_BATCH_SKUS));
        return {
          skus: request.skus.map((sku, index) => check(() => validate.sku(sku, `skus[${index}]`))),
          warehouseCode: check(() => validate.optionalWarehouseCode(request.warehouseCode)),
        };
      });
      const stocks = await useCases.getStock([...new Set(skus)], warehouseCode);
      return { stocks: stocks.map(encodeSkuStock) };
    },
    async listUnitLocations(request) {
      const query = collectViolations((check) => {
        check(() => validate.lineCount(request.skus, "skus", MAX_BATCH_SKUS));
        return {
          warehouseCode: check(() => validate.warehouseCode(request.warehouseCode)),
          skus: request.skus.map((sku, index) => check(() => validate.sku(sku, `skus[${index}]`))),
        };
      });
      const locations = await useCases.listUnitLocations(query);
      return {
        locations: locations.map((l) => ({
          sku: l.sku,
          lotCode: l.lotCode,
          binCode: l.binCode,
          zone: l.zone,
          aisle: l.aisle,
          position: l.position,
          pickSequence: l.pickSequence,
          units: BigInt(l.units),
        })),
      };
    },
    async getReservation(request) {
      const reservation = await useCases.getReservation(validate.reservationId(request.reservationId));
      return { reservation: encodeReservation(reservation) };
    },
    async reserve(request, ctx) {
      const result = await useCases.reserve(decodeReserve(request, ttlPolicy), requestContextFrom(ctx));
      return {
        reservation: result.reservation ? encodeReservation(result.reservation) : undefined,
        shortages: result.shortages.map(encodeShortage),
      };
    },
    async extendReservation(request, ctx) {
      const view = await useCases.extend(decodeExtend(request, ttlPolicy), requestContextFrom(ctx));
      return { reservation: encodeReservation(view) };
    },
    async releaseReservation(request, ctx) {
      const view = await useCases.release(decodeRelease(request), requestContextFrom(ctx));
      return { reservation: encodeReservation(view) };
    },
    async confirmReservation(request, ctx) {
      const view = await useCases.confirm(decodeConfirm(request), requestContextFrom(ctx));
      return { reservation: encodeReservation(view) };
    },
    async cancelReservation(request, ctx) {
      const view = await useCases.cancel(decodeRelease(request), requestContextFrom(ctx));
      return { reservation: encodeReservation(view) };
    },
    async shipReservation(request, ctx) {
      const view = await useCases.ship(decodeShip(request), requestContextFrom(ctx));
      return { reservation: encodeReservation(view) };
    },
    async restockReturn(request, ctx) {
      const result = await useCases.restockReturn(decodeRestockReturn(request), requestContextFrom(ctx));
      return { levels: result.levels.map(encodeStockLevel) };
    },
    async recordQualityCheck(request, ctx) {
      const result = await useCases.recordQualityCheck(
        decodeRecordQualityCheck(request),
        requestContextFrom(ctx),
      );
      return { level: encodeStockLevel(result.level) };
    },
  };
}
