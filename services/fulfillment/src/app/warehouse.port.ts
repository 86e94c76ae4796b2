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
  // A short pick's missing units: on_hand down (LOSS) with the bin and pick list in the note.
  postStockLoss(input: {
    idempotencyKey: string;
    warehouseCode: string;
    sku: string;
    lotCode: string;
    quantity: number;
    note: string;
  }): Promise<void>;
  // A packed unit that failed QC: on_hand -> quality_control ("hold"), then -> damaged ("fail").
  recordQualityCheck(input: {
    idempotencyKey: string;
    warehouseCode: string;
    sku: string;
    lotCode: string;
    quantity: number;
    outcome: "hold" | "fail";
    reason: string;
    reference: { type: string; id: string };
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

export interface UnitLocation {
  sku: string;
  lotCode: string;
  binCode: string;
  zone: string;
  aisle: string;
  position: string;
  pickSequence: number;
  units: number;
}

// A read the worker does not need: BuildWave asks where the units are before its transaction.
export interface WarehouseLocationsPort {
  // In pick order (the bins' pick sequence).
  listUnitLocations(warehouseCode: string, skus: readonly string[]): Promise<UnitLocation[]>;
}

// A refusal the warehouse will repeat however often it is asked (not found, failed precondition,
// invalid argument): the command fails for ops instead of being retried.
export class WarehouseRefusedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "WarehouseRefusedError";
  }
}
