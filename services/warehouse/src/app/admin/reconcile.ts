// Reconcile: every balance recomputed from the ledger. Two checks per level and bucket: the sum of
// the ledger's deltas, and the balance its last movement recorded, both against the stored balance.
// Any difference means something wrote a level without the ledger (or the ledger without the level).
import { findLevelLedgerChecks, LEDGER_BUCKET_COLUMNS, readOnlySnapshot } from "../../data/movement.repo.ts";
import type { UseCaseDeps } from "../use-case-deps.ts";

export interface BalanceDrift {
  warehouseCode: string;
  sku: string;
  // A bucket column (on_hand, ...); suffixed ":last_movement" for the last-movement check.
  bucket: string;
  stored: number;
  fromLedger: number;
}

export interface ReconcileResult {
  levelsChecked: number;
  drifts: BalanceDrift[];
}

export function reconcileUseCase(deps: UseCaseDeps) {
  return async function reconcile(): Promise<ReconcileResult> {
    const result = await deps.transaction(async (trx) => {
      // One snapshot for levels and ledger, so a concurrent movement cannot look like drift.
      await readOnlySnapshot(trx);
      const checks = await findLevelLedgerChecks(trx);
      const drifts: BalanceDrift[] = [];
      for (const check of checks) {
        for (const bucket of LEDGER_BUCKET_COLUMNS) {
          const stored = check.stored[bucket];
          const base = { warehouseCode: check.warehouseCode, sku: check.sku, stored };
          if (check.summed[bucket] !== stored)
            drifts.push({ ...base, bucket, fromLedger: check.summed[bucket] });
          const last = check.lastAfter?.[bucket] ?? 0;
          if (last !== stored) drifts.push({ ...base, bucket: `${bucket}:last_movement`, fromLedger: last });
        }
      }
      return { levelsChecked: checks.length, drifts };
    });
    deps.metrics?.ledgerDriftUnits.set(
      result.drifts.reduce((sum, d) => sum + Math.abs(d.stored - d.fromLedger), 0),
    );
    return result;
  };
}
