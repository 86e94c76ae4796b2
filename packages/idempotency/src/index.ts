export {
  type BatchClaim,
  batchClaimsFrom,
  type ClaimedRow,
  claimBatchCte,
  type HeldRow,
  heldBatchCte,
  releaseClaimsStatement,
  storeResponsesStatement,
} from "./batch-claims.ts";
export {
  claimIdempotencyKey,
  deleteExpiredIdempotencyRecords,
  type IdempotencyClaim,
  type IdempotencyDb,
  type IdempotencyKeyClaim,
  storeIdempotentResponse,
} from "./idempotency.repo.ts";
export type { IdempotencyDatabase, IdempotencyRecordsTable } from "./idempotency-records.table.ts";
export {
  type IdempotencyScope,
  SYSTEM_PRINCIPAL,
  scopedKeyOf,
  UNSCOPED_PRINCIPAL,
} from "./idempotency-scope.ts";
export { fingerprintOf } from "./request-fingerprint.ts";
export {
  IDEMPOTENCY_RETENTION_HOURS,
  type IdempotencyCodec,
  type IdempotentRequest,
  idempotencyKeyReused,
  type RunIdempotentOptions,
  runIdempotent,
} from "./run-idempotent.ts";
export {
  DEFAULT_LEASE_SECONDS,
  idempotencyKeyBusy,
  type RunLeasedOptions,
  runLeasedIdempotent,
} from "./run-leased-idempotent.ts";
