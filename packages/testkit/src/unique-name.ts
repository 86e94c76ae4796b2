import { randomBytes } from "node:crypto";

/** Short random suffix so parallel test files never share a schema, topic or key prefix. */
export function uniqueSuffix(): string {
  return randomBytes(5).toString("hex");
}
