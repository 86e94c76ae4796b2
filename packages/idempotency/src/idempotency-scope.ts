// Keys are scoped to the caller: two principals sending the same key never share a record or an answer.

// The principal of calls a service makes of its own accord (expiry sweeper, consumers, workers).
export const SYSTEM_PRINCIPAL = "system:internal";

// The principal the scoping migrations gave records written before keys were scoped. No caller has it.
export const UNSCOPED_PRINCIPAL = "legacy:unscoped";

export interface IdempotencyScope {
  principal: string;
  key: string;
}

// One string per (principal, key), for maps and lock sets in memory; unambiguous for any two strings.
export function scopedKeyOf(scope: IdempotencyScope): string {
  return JSON.stringify([scope.principal, scope.key]);
}
