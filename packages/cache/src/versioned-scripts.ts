// Lua scripts run atomically by Redis. A cache entry is a hash: v = projection version of the value,
// d = the encoded value (absent in a tombstone). A write never replaces a newer version, so a reader that
// loaded before an invalidation cannot put its older value back (the stale-set race).
import { createHash } from "node:crypto";
import { type Redis, ReplyError } from "ioredis";

// KEYS[1] key; ARGV[1] version, ARGV[2] value, ARGV[3] ttl ms, ARGV[4] '1' when the value was just read
// from the source: then an equal version is rewritten with a renewed TTL; ARGV[5] the writer's clock (ms),
// kept in t so a reader can distrust entries written before an invalidation it failed to deliver.
// Returns 1 when written.
const SET_IF_NEWER = `
local current = redis.call('HGET', KEYS[1], 'v')
if current then
  local stored = tonumber(current)
  local incoming = tonumber(ARGV[1])
  if stored > incoming then return 0 end
  if stored == incoming and redis.call('HEXISTS', KEYS[1], 'd') == 1 then
    if ARGV[4] == '1' then
      redis.call('HSET', KEYS[1], 'd', ARGV[2], 't', ARGV[5])
      redis.call('PEXPIRE', KEYS[1], ARGV[3])
      return 1
    end
    return 0
  end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'd', ARGV[2], 't', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

// KEYS[1] key; ARGV[1] version now current in the database, ARGV[2] ttl ms of the tombstone.
// Drops any value older than the version and leaves a tombstone that refuses older writes.
const INVALIDATE_BELOW = `
local current = redis.call('HGET', KEYS[1], 'v')
if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'v', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

export interface CachedEntry {
  version: number;
  value: Buffer;
  writtenAt: number;
}

export function entryFrom(reply: (Buffer | null)[]): CachedEntry | undefined {
  const [version, value, writtenAt] = reply;
  if (!version || !value) return undefined;
  return {
    version: Number(version.toString()),
    value,
    writtenAt: writtenAt ? Number(writtenAt.toString()) : 0,
  };
}

export interface VersionedScripts {
  setIfNewer(key: string, version: number, value: Buffer, ttlMs: number, renew?: boolean): Promise<boolean>;
  invalidateBelow(key: string, version: number, tombstoneTtlMs: number): Promise<boolean>;
  read(key: string): Promise<CachedEntry | undefined>;
}

// EVALSHA sends the script's digest instead of its text; a Redis that does not know the script yet (first
// use, restart, SCRIPT FLUSH) answers NOSCRIPT and is sent the text once by EVAL, which also loads it.
export function luaScript(source: string) {
  const sha = createHash("sha1").update(source).digest("hex");
  return async (redis: Redis, key: string, ...args: (string | Buffer)[]): Promise<unknown> => {
    try {
      return await redis.evalsha(sha, 1, key, ...args);
    } catch (err) {
      if (!(err instanceof ReplyError && (err as Error).message.startsWith("NOSCRIPT"))) throw err;
      return redis.eval(source, 1, key, ...args);
    }
  };
}

const setIfNewer = luaScript(SET_IF_NEWER);
const invalidateBelow = luaScript(INVALIDATE_BELOW);

export function versionedScripts(redis: Redis): VersionedScripts {
  return {
    async setIfNewer(key, version, value, ttlMs, renew = false) {
      const written = await setIfNewer(
        redis,
        key,
        String(version),
        value,
        String(ttlMs),
        renew ? "1" : "0",
        String(Date.now()),
      );
      return written === 1;
    },
    async invalidateBelow(key, version, tombstoneTtlMs) {
      const written = await invalidateBelow(redis, key, String(version), String(tombstoneTtlMs));
      return written === 1;
    },
    async read(key) {
      return entryFrom(await redis.hmgetBuffer(key, "v", "d", "t"));
    },
  };
}
