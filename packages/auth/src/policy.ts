// Per-RPC authorization. Every method of a service has an explicit entry: a list of roles allowed to
// call it, or "public". A missing entry is a start-up failure, never a silent allow.
import { permissionDenied, unauthenticated } from "@stockroom/errors";
import { isRole, type Principal, type Role } from "./roles.ts";

export type MethodPolicy = readonly Role[] | "public";

// Keys are the method names a service implementation uses (protobuf-es local names, e.g. "reserveStock").
export type Policy<M extends string = string> = Readonly<Record<M, MethodPolicy>>;

export function authorize(principal: Principal | undefined, allowed: MethodPolicy): void {
  if (allowed === "public") return;
  if (principal === undefined) throw unauthenticated("authentication required");
  if (!principal.roles.some((role) => allowed.includes(role))) {
    throw permissionDenied(`requires one of roles: ${allowed.join(", ")}`);
  }
}

// Throws (a plain Error: this is a programming mistake, found at server construction) unless the policy
// names exactly the given methods, each with "public" or a non-empty list of known roles.
export function assertCompletePolicy(
  serviceName: string,
  methodNames: readonly string[],
  policy: Readonly<Record<string, unknown>>,
): void {
  const problems: string[] = [];
  for (const method of methodNames) {
    if (!Object.hasOwn(policy, method)) {
      problems.push(`no policy for ${method}`);
      continue;
    }
    const entry = policy[method];
    if (entry === "public") continue;
    if (!Array.isArray(entry) || entry.length === 0 || !entry.every(isRole)) {
      problems.push(`policy for ${method} must be "public" or a non-empty list of roles`);
    }
  }
  for (const key of Object.keys(policy)) {
    if (!methodNames.includes(key)) problems.push(`policy names unknown method ${key}`);
  }
  if (problems.length > 0) throw new Error(`${serviceName}: ${problems.join("; ")}`);
}
