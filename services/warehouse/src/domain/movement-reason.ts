// Why a stock level changed; the ledger's reason column accepts exactly these (CHECK constraint).
export const MOVEMENT_REASONS = [
  "receipt",
  "reserve",
  "release",
  "expire",
  "confirm",
  "cancel",
  "ship",
  "return_sellable",
  "return_damaged",
  "qc_hold",
  "qc_pass",
  "qc_fail",
  "adjust_damage",
  "adjust_loss",
  "adjust_found",
  "adjust_correction",
  "cycle_count",
  "transfer_out",
  "transfer_in",
  "policy",
] as const;

export type MovementReason = (typeof MOVEMENT_REASONS)[number];

export function isMovementReason(value: string): value is MovementReason {
  return (MOVEMENT_REASONS as readonly string[]).includes(value);
}
