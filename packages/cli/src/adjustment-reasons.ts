// The adjustment reasons as operators type them (stock adjust --reason, the import's reason column).
import { AdjustmentReason } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_admin_service_pb.js";

export const ADJUSTMENT_REASON_BY_NAME = {
  damage: AdjustmentReason.DAMAGE,
  loss: AdjustmentReason.LOSS,
  found: AdjustmentReason.FOUND,
  correction: AdjustmentReason.CORRECTION,
} as const;

export type AdjustmentReasonName = keyof typeof ADJUSTMENT_REASON_BY_NAME;

export const ADJUSTMENT_REASON_NAMES = Object.keys(ADJUSTMENT_REASON_BY_NAME) as AdjustmentReasonName[];

export function isAdjustmentReasonName(value: string): value is AdjustmentReasonName {
  return Object.hasOwn(ADJUSTMENT_REASON_BY_NAME, value);
}
