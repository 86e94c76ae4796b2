// How far behind the checkouts are: the age of the oldest unfinished saga, and how many checkouts wait
// for an operator now, per reason (metrics and alerts).
import { countSagasNeedingAttention, oldestUnfinishedSagaAgeSeconds } from "../data/saga.repo.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export function oldestUnfinishedCheckoutAgeUseCase(deps: UseCaseDeps) {
  return () => oldestUnfinishedSagaAgeSeconds(deps.db, deps.clock());
}

export function countCheckoutsNeedingAttentionUseCase(deps: UseCaseDeps) {
  return () => countSagasNeedingAttention(deps.db);
}
