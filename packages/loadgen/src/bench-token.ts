// The benchmarks' JWT: one secret the bench passes to the service it spawns (JWT_SECRET) and signs its
// callers' tokens with, using the services' default issuer and audience.
import { createTokenIssuer, type Role } from "@stockroom/auth";

export const BENCH_JWT_SECRET = "bench-secret-bench-secret-bench-secret!";

/** A token for the bench's callers, valid for an hour (longer than any run). */
export function issueBenchToken(roles: readonly Role[]): Promise<string> {
  const issuer = createTokenIssuer({ secret: BENCH_JWT_SECRET, issuer: "stockroom", audience: "stockroom" });
  return issuer.issue({ subject: "bench", roles: [...roles], ttlSec: 3600 });
}
