// How far behind the checkouts are: the age of the oldest unfinished saga (a metric and an alert).
import { oldestUnfinishedSagaAgeSeconds } from "../data/saga.repo.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export function oldestUnfinishedCheckoutAgeUseCase(deps: UseCaseDeps) {
  return () => oldestUnfinishedSagaAgeSeconds(deps.db, deps.clock());
}
