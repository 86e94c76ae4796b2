// Shared pieces of the cache tests: a JSON value type with its version, and a counting loader.
import type { Redis } from "ioredis";
import { createKeyspace, createVersionedCache, type VersionedCacheOptions } from "../src/index.ts";

export interface Item {
  id: string;
  version: number;
  available: number;
}

export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface CountingLoader {
  calls: string[][];
  values: Map<string, Item>;
  loadMany(ids: readonly string[]): Promise<Map<string, Item>>;
}

export function countingLoader(values: Item[] = []): CountingLoader {
  const loader: CountingLoader = {
    calls: [],
    values: new Map(values.map((item) => [item.id, item])),
    async loadMany(ids) {
      loader.calls.push([...ids]);
      const found = new Map<string, Item>();
      for (const id of ids) {
        const item = loader.values.get(id);
        if (item) found.set(id, { ...item });
      }
      return found;
    },
  };
  return loader;
}

export function itemCache(
  redis: Redis,
  loader: Pick<CountingLoader, "loadMany">,
  overrides: Partial<VersionedCacheOptions<Item>> = {},
) {
  return createVersionedCache<Item>({
    name: "test_item",
    redis,
    keyspace: createKeyspace("test:item:v1", (id) => ID_PATTERN.test(id)),
    encode: (item) => Buffer.from(JSON.stringify(item)),
    decode: (bytes) => JSON.parse(Buffer.from(bytes).toString("utf8")) as Item,
    versionOf: (item) => item.version,
    ttlMsOf: (item) => (item.available > 0 ? 60_000 : 2_000),
    loadMany: (ids) => loader.loadMany(ids),
    ...overrides,
    // Not a timeout test unless it says so: a loaded machine must not turn a slow reply into a fallback.
    breaker: { timeoutMs: 2_000, ...overrides.breaker },
  });
}
