// One row of the append-only movement ledger as readers see it, and the filter operations staff list
// the ledger by.
import type { Buckets } from "./stock-level.ts";

export interface MovementFilter {
  warehouseCode?: string | undefined;
  sku?: string | undefined;
  reason?: string | undefined;
  referenceId?: string | undefined;
  actor?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

export interface MovementRow {
  movementId: number;
  occurredAt: Date;
  warehouseCode: string;
  sku: string;
  lotCode: string | null;
  reason: string;
  actor: string;
  referenceType: string;
  referenceId: string;
  // The operator's note (adjustments); null when none was given.
  note: string | null;
  deltas: Buckets;
  after: Buckets;
  levelVersion: number;
}
