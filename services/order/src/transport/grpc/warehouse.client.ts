// The warehouse as the order service's WarehousePort: typed gRPC clients signed with a short-lived
// service token, every call through one circuit breaker (no fallback: stock-changing calls fail fast
// with UNAVAILABLE, and the saga retries under the same key or compensates).
import { durationFromMs, timestampDate } from "@bufbuild/protobuf/wkt";
import { createTokenIssuer } from "@stockroom/auth";
import { ErrorReason, unavailable } from "@stockroom/errors";
import {
  type BreakerState,
  createClient,
  createDependencyBreaker,
  isGrpcCallError,
  status,
} from "@stockroom/grpc";
import { LineStatus, PaymentMethod } from "@stockroom/proto/stockroom/warehouse/v1/stock_pb.js";
import { WarehouseAdminService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_admin_service_pb.js";
import { WarehouseService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_service_pb.js";
import type { Shortage, WarehousePort } from "../../app/warehouse.port.ts";
import type { PaymentMethodType } from "../../domain/payment-status.ts";

export interface ServiceClientOptions {
  address: string;
  jwt: { secret: string; issuer: string; audience: string };
  deadlineMs?: number;
  breaker?: { volumeThreshold?: number; resetTimeoutMs?: number; errorThresholdPercentage?: number };
  onBreakerState?: (state: BreakerState) => void;
}

// grpc-js backs off reconnecting from 1 s up to 120 s by default: after a dependency restarts, calls
// would keep failing long after it is back. Reconnect fast and often instead (the breaker limits load).
export const RECONNECT_OPTIONS = {
  "grpc.initial_reconnect_backoff_ms": 200,
  "grpc.max_reconnect_backoff_ms": 5_000,
};

const METHOD_TO_PROTO: Record<PaymentMethodType, PaymentMethod> = {
  card: PaymentMethod.CARD,
  e_wallet: PaymentMethod.E_WALLET,
  bank_transfer: PaymentMethod.BANK_TRANSFER,
  cash_on_delivery: PaymentMethod.CASH_ON_DELIVERY,
};

// The warehouse's INSUFFICIENT_STOCK refusal names each short line in its metadata (line_<n>_sku, ...).
function shortagesFrom(metadata: Record<string, string>): Shortage[] {
  const numbers = new Set<number>();
  for (const key of Object.keys(metadata)) {
    const match = /^line_(\d+)_sku$/.exec(key);
    if (match) numbers.add(Number(match[1]));
  }
  return [...numbers]
    .sort((a, b) => a - b)
    .map((n) => ({
      lineNumber: n,
      sku: metadata[`line_${n}_sku`] ?? "",
      warehouseCode: metadata[`line_${n}_warehouse_code`] ?? null,
      requested: Number(metadata[`line_${n}_requested`] ?? 0),
      available: Number(metadata[`line_${n}_available`] ?? 0),
    }));
}

function refusedAs(err: unknown, code: status, reasons: readonly ErrorReason[]): boolean {
  return isGrpcCallError(err) && err.code === code && reasons.includes(err.reason);
}

// A reservation that is no longer held (expired, released): releasing it again is a no-op.
function noLongerHeld(err: unknown): boolean {
  if (!isGrpcCallError(err) || err.code !== status.FAILED_PRECONDITION) return false;
  const state = err.errorDetail?.metadata.status;
  return (
    err.reason === ErrorReason.RESERVATION_EXPIRED ||
    state === "expired" ||
    state === "released" ||
    state === "cancelled"
  );
}

// An outage of the warehouse, as the use cases see it.
function asUnavailable(err: unknown): unknown {
  if (isGrpcCallError(err) && (err.code === status.UNAVAILABLE || err.code === status.DEADLINE_EXCEEDED)) {
    return unavailable(
      `warehouse did not answer: ${err.details}`,
      ErrorReason.DEPENDENCY_UNAVAILABLE,
      { dependency: "warehouse" },
      err,
    );
  }
  return err;
}

export function createWarehouseClient(
  options: ServiceClientOptions,
): WarehousePort & { close(): void; breakerState(): BreakerState } {
  const issuer = createTokenIssuer(options.jwt);
  const clientOptions = {
    defaultDeadlineMs: options.deadlineMs ?? 5_000,
    channelOptions: RECONNECT_OPTIONS,
    token: () => issuer.issue({ subject: "service:order", roles: ["service"], ttlSec: 300 }),
  };
  const client = createClient(WarehouseService, options.address, clientOptions);
  const admin = createClient(WarehouseAdminService, options.address, clientOptions);
  const breaker = createDependencyBreaker({
    name: "warehouse",
    ...options.breaker,
    ...(options.onBreakerState ? { onStateChange: options.onBreakerState } : {}),
  });
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await breaker.fire(fn);
    } catch (err) {
      throw asUnavailable(err);
    }
  };

  return {
    async warehouseExists(code) {
      try {
        await call(() => admin.getWarehouse({ code }));
        return true;
      } catch (err) {
        if (refusedAs(err, status.NOT_FOUND, [ErrorReason.WAREHOUSE_NOT_FOUND, ErrorReason.UNSPECIFIED]))
          return false;
        throw err;
      }
    },
    async reserve(request) {
      try {
        const response = await call(() =>
          client.reserve({
            idempotencyKey: request.idempotencyKey,
            reference:
              "cartId" in request
                ? { type: "cart", id: request.cartId }
                : { type: "order", id: request.orderId },
            lines: request.lines.map((l) => ({
              sku: l.sku,
              quantity: l.quantity,
              warehouseCode: l.warehouseCode ?? "",
            })),
            paymentMethod: METHOD_TO_PROTO[request.paymentMethod],
            ...(request.ttlMs ? { ttl: durationFromMs(request.ttlMs) } : {}),
          }),
        );
        const reservation = response.reservation;
        if (!reservation) throw new Error("warehouse reserve answered without a reservation");
        return {
          kind: "reserved",
          reservation: {
            reservationId: reservation.reservationId,
            expiresAt: reservation.expiresAt ? timestampDate(reservation.expiresAt) : null,
          },
        };
      } catch (err) {
        if (
          refusedAs(err, status.FAILED_PRECONDITION, [ErrorReason.INSUFFICIENT_STOCK]) &&
          isGrpcCallError(err)
        ) {
          return { kind: "short", shortages: shortagesFrom(err.errorDetail?.metadata ?? {}) };
        }
        throw err;
      }
    },
    async extend(request) {
      await call(() =>
        client.extendReservation({
          idempotencyKey: request.idempotencyKey,
          reservationId: request.reservationId,
          ttl: durationFromMs(request.ttlMs),
        }),
      );
    },
    async release(request) {
      try {
        await call(() => client.releaseReservation(request));
      } catch (err) {
        if (!noLongerHeld(err)) throw err;
      }
    },
    async confirm(request) {
      try {
        const response = await call(() =>
          client.confirmReservation({
            idempotencyKey: request.idempotencyKey,
            reservationId: request.reservationId,
            order: { type: "order", id: request.orderId },
          }),
        );
        return {
          kind: "confirmed",
          allocations: (response.reservation?.lines ?? []).flatMap((line) =>
            line.allocations.map((a) => ({
              lineNumber: line.lineNumber,
              warehouseCode: a.warehouseCode,
              lotCode: a.lotCode,
              quantity: a.quantity,
            })),
          ),
        };
      } catch (err) {
        if (noLongerHeld(err)) return { kind: "expired" };
        throw err;
      }
    },
    async cancel(request) {
      try {
        const { reservation } = await call(() => client.cancelReservation(request));
        const shipped = (reservation?.lines ?? []).filter((l) => l.status === LineStatus.SHIPPED);
        return { anyShipped: shipped.length > 0, allShipped: false, shippedSkus: shipped.map((l) => l.sku) };
      } catch (err) {
        // Every line had already shipped: nothing was left committed to give back.
        if (isGrpcCallError(err) && err.errorDetail?.metadata.status === "shipped")
          return { anyShipped: true, allShipped: true, shippedSkus: [] };
        if (!noLongerHeld(err)) throw err;
        return { anyShipped: false, allShipped: false, shippedSkus: [] };
      }
    },
    breakerState: () => breaker.state(),
    close() {
      breaker.shutdown();
      client.close();
      admin.close();
    },
  };
}
