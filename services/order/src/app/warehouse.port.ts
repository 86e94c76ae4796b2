// What the order service asks the warehouse. Stock-changing calls carry the saga's deterministic keys
// and go through a circuit breaker without fallback: when the warehouse is down they fail fast with
// UNAVAILABLE (the caller retries later under the same key, or compensates).
import type { PaymentMethodType } from "../domain/payment-status.ts";

export interface ReserveLine {
  sku: string;
  quantity: number;
  warehouseCode: string | null;
}

export interface Shortage {
  // 1-based index into the request's lines.
  lineNumber: number;
  sku: string;
  warehouseCode: string | null;
  requested: number;
  available: number;
}

export interface ReservedStock {
  reservationId: string;
  expiresAt: Date | null;
}

export type ReserveResult =
  | { kind: "reserved"; reservation: ReservedStock }
  | { kind: "short"; shortages: Shortage[] };

export interface CommittedAllocation {
  // 1-based index into the reserve request's lines.
  lineNumber: number;
  warehouseCode: string;
  lotCode: string;
  quantity: number;
}

export type ConfirmResult =
  | { kind: "confirmed"; allocations: CommittedAllocation[] }
  // The reservation lapsed (expired or released) before it was confirmed.
  | { kind: "expired" };

export interface WarehousePort {
  warehouseExists(code: string): Promise<boolean>;
  // For an order (the checkout) or a cart (its hold from add-to-cart): the reservation's reference.
  reserve(
    request: {
      idempotencyKey: string;
      lines: ReserveLine[];
      paymentMethod: PaymentMethodType;
      ttlMs?: number;
    } & ({ orderId: string } | { cartId: string }),
  ): Promise<ReserveResult>;
  extend(request: { idempotencyKey: string; reservationId: string; ttlMs: number }): Promise<void>;
  // Safe to repeat; a reservation already released or expired is fine.
  release(request: { idempotencyKey: string; reservationId: string; reason: string }): Promise<void>;
  confirm(request: {
    idempotencyKey: string;
    reservationId: string;
    orderId: string;
  }): Promise<ConfirmResult>;
  // committed -> released (a cancelled order, or what is left of one after a short); safe to repeat.
  // Lines that had already shipped stay shipped: their skus come back (allShipped: every line had).
  cancel(request: { idempotencyKey: string; reservationId: string; reason: string }): Promise<{
    anyShipped: boolean;
    allShipped: boolean;
    shippedSkus: string[];
  }>;
}
