// Opaque page tokens: the engine's sort key where a page ended, bound to the query it belongs to, so a
// token used with another query, other filters or another sort is refused rather than silently skipping.
import { createHash } from "node:crypto";
import type { SearchFilters, SortKey, SortOrder } from "./search-document.ts";

const TOKEN_VERSION = 1;
export const MAX_PAGE_TOKEN_LENGTH = 1024;

export interface PageScope {
  text: string;
  filters: SearchFilters;
  sort: SortOrder;
}

export class PageTokenInvalidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PageTokenInvalidError";
  }
}

function scopeFingerprint(scope: PageScope): string {
  const f = scope.filters;
  const canonical = JSON.stringify([
    scope.text,
    scope.sort,
    f.categoryPathPrefix ?? "",
    [...f.brands].sort(),
    f.priceMinMinor ?? null,
    f.priceMaxMinor ?? null,
    f.inStockOnly,
    f.attributes.map((a) => [a.name, [...a.values].sort()]).sort(),
  ]);
  return createHash("sha256").update(canonical).digest("base64url").slice(0, 16);
}

export function encodePageToken(scope: PageScope, key: SortKey): string {
  const body = JSON.stringify({ v: TOKEN_VERSION, s: scopeFingerprint(scope), k: key });
  return Buffer.from(body, "utf8").toString("base64url");
}

export function decodePageToken(scope: PageScope, token: string): SortKey {
  if (token.length > MAX_PAGE_TOKEN_LENGTH) throw new PageTokenInvalidError("is too long");
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new PageTokenInvalidError("is not a token this service issued");
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw new PageTokenInvalidError("is not a token this service issued");
  }
  if (
    typeof parsed !== "object" ||
    parsed === null ||
    (parsed as { v?: unknown }).v !== TOKEN_VERSION ||
    typeof (parsed as { s?: unknown }).s !== "string" ||
    !Array.isArray((parsed as { k?: unknown }).k)
  ) {
    throw new PageTokenInvalidError("is not a token this service issued");
  }
  const { s, k } = parsed as { s: string; k: unknown[] };
  if (s !== scopeFingerprint(scope)) {
    throw new PageTokenInvalidError("belongs to another query, filters or sort");
  }
  if (k.length === 0 || k.some((part) => typeof part !== "string" && typeof part !== "number")) {
    throw new PageTokenInvalidError("is not a token this service issued");
  }
  return k as (string | number)[];
}
