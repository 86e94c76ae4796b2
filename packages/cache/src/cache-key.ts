// Cache keys are built only from ids that passed the caller's validator, under a fixed namespace, so a
// crafted id can neither reach Redis nor collide with another key.

export class CacheKeyError extends Error {
  readonly id: string;
  constructor(id: string) {
    super(`refusing to build a cache key from a non-canonical id (${JSON.stringify(id.slice(0, 80))})`);
    this.name = "CacheKeyError";
    this.id = id;
  }
}

// e.g. "catalog:product:v1": lower-case segments separated by ':'; the id follows after one more ':'.
const NAMESPACE_PATTERN = /^[a-z][a-z0-9_-]*(:[a-z0-9][a-z0-9_-]*)*$/;

export interface CacheKeyspace {
  readonly namespace: string;
  keyOf(id: string): string;
}

/**
 * isCanonical must refuse ':' and anything else that is not part of the id's canonical form (the caller's
 * own validator, e.g. the sku pattern); keyOf throws CacheKeyError for every id it refuses.
 */
export function createKeyspace(namespace: string, isCanonical: (id: string) => boolean): CacheKeyspace {
  if (!NAMESPACE_PATTERN.test(namespace)) {
    throw new Error(`cache namespace ${JSON.stringify(namespace)} must match ${NAMESPACE_PATTERN.source}`);
  }
  return {
    namespace,
    keyOf(id) {
      // The ':' check holds even if a validator is too lax: an id can never add a namespace segment.
      if (id.length === 0 || id.length > 256 || id.includes(":") || !isCanonical(id)) {
        throw new CacheKeyError(id);
      }
      return `${namespace}:${id}`;
    },
  };
}
