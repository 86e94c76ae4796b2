// What a retry must repeat exactly: a hash of the request without its key. bigints (prices) hash as
// their decimal text, since JSON.stringify refuses them.
import { createHash } from "node:crypto";

export function fingerprintOf(request: unknown): string {
  const json = JSON.stringify(request, (_key, value) =>
    typeof value === "bigint" ? value.toString() : value,
  );
  return createHash("sha256").update(json).digest("base64url");
}
