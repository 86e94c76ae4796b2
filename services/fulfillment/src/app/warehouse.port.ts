// What the fulfillment service asks of the warehouse, in its own terms; transport/grpc/warehouse.client.ts
// is the gRPC adapter. Every stock-changing call carries the pending command's deterministic key.
import type { ReservationAnswer } from "../domain/reservation-check.ts";

export interface WarehousePort {
  // undefined: the warehouse has no such reservation.
  getReservation(reservationId: string): Promise<ReservationAnswer | undefined>;
  shipReservation(input: {
    idempotencyKey: string;
    reservationId: string;
    lineNumbers: number[];
    shipmentId: string;
  }): Promise<void>;
  cancelReservation(input: { idempotencyKey: string; reservationId: string; reason: string }): Promise<void>;
  restockReturn(input: {
    idempotencyKey: string;
    returnId: string;
    lines: {
      sku: string;
      warehouseCode: string;
      quantity: number;
      condition: "sellable" | "damaged";
      lotCode: string;
    }[];
  }): Promise<void>;
  // on_hand -> quality_control for returned units that need inspection (after their restock).
  holdForQualityCheck(input: {
    idempotencyKey: string;
    warehouseCode: string;
    sku: string;
    quantity: number;
    lotCode: string;
    reason: string;
    returnId: string;
  }): Promise<void>;
}

// A refusal the warehouse will repeat however often it is asked (not found, failed precondition,
// invalid argument): the command fails for ops instead of being retried.
export class WarehouseRefusedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "WarehouseRefusedError";
  }
}
