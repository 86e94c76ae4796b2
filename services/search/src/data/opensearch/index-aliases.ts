// The indexes behind the engine. Queries go to the alias <base>; a rebuild fills a new index that
// carries the alias <base>-rebuild until the swap, which moves <base> to it in one aliases call (so a
// query sees the old index or the new one, never a mix) and drops the old one. Writes resolve both
// aliases to concrete indexes first and write each one with its own sequence-number guard.
import type { Client } from "@opensearch-project/opensearch";
import { indexDefinition } from "./index-mapping.ts";

export interface IndexNames {
  live: string;
  rebuild: string;
  // Every concrete index of this engine starts with it; nothing else may.
  concretePrefix: string;
}

export function indexNames(base: string): IndexNames {
  return { live: base, rebuild: `${base}-rebuild`, concretePrefix: `${base}-v` };
}

export interface ResolvedIndexes {
  live: string;
  rebuild?: string | undefined;
}

export function isNotFound(error: unknown): boolean {
  return (error as { meta?: { statusCode?: number } } | null)?.meta?.statusCode === 404;
}

function isAlreadyExists(error: unknown): boolean {
  const type = (error as { meta?: { body?: { error?: { type?: string } } } } | null)?.meta?.body?.error?.type;
  return type === "resource_already_exists_exception";
}

async function indexesOfAlias(client: Client, alias: string): Promise<string[]> {
  try {
    const response = await client.indices.getAlias({ name: alias });
    return Object.keys(response.body);
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
}

// Both aliases in one request (the cat API answers 200 with what exists), since every write asks.
export async function resolveIndexes(client: Client, names: IndexNames): Promise<ResolvedIndexes> {
  const response = await client.cat.aliases({ name: [names.live, names.rebuild], format: "json" });
  const rows = response.body as unknown as { alias: string; index: string }[];
  const live = rows.find((row) => row.alias === names.live)?.index;
  if (live === undefined)
    throw new Error(`OpenSearch alias ${names.live} is missing (the engine was not made ready)`);
  return { live, rebuild: rows.find((row) => row.alias === names.rebuild)?.index };
}

async function createIndex(client: Client, index: string, alias: string): Promise<void> {
  await client.indices.create({ index, body: { ...indexDefinition(), aliases: { [alias]: {} } } });
}

// The first index has a fixed name, so two instances starting together create one index, not two.
export async function ensureLiveIndex(client: Client, names: IndexNames): Promise<void> {
  if ((await indexesOfAlias(client, names.live)).length > 0) return;
  const exists = await client.indices.exists({ index: names.live });
  if (exists.body === true) {
    throw new Error(`OpenSearch has an index named ${names.live}; the engine needs that name for its alias`);
  }
  try {
    await createIndex(client, `${names.concretePrefix}1`, names.live);
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
}

export async function createShadowIndex(client: Client, names: IndexNames): Promise<string> {
  // An unfinished earlier rebuild is abandoned: only one shadow at a time.
  for (const index of await indexesOfAlias(client, names.rebuild)) await dropIndex(client, index);
  const index = `${names.concretePrefix}${Date.now()}`;
  await createIndex(client, index, names.rebuild);
  return index;
}

export async function swapShadowIndex(client: Client, names: IndexNames, shadow: string): Promise<void> {
  const old = await indexesOfAlias(client, names.live);
  const rebuilding = await indexesOfAlias(client, names.rebuild);
  if (!rebuilding.includes(shadow))
    throw new Error(`rebuild index ${shadow} is no longer the shadow (aborted or replaced)`);
  await client.indices.refresh({ index: shadow });
  await client.indices.updateAliases({
    body: {
      actions: [
        ...old.map((index) => ({ remove: { index, alias: names.live } })),
        { add: { index: shadow, alias: names.live } },
        { remove: { index: shadow, alias: names.rebuild } },
      ],
    },
  });
  for (const index of old) await dropIndex(client, index);
  await dropOrphans(client, names);
}

export async function dropIndex(client: Client, index: string): Promise<void> {
  try {
    await client.indices.delete({ index });
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

// A write that was resolved before a swap and reached the dropped index after it recreates that index
// (bulk auto-creates); such leftovers have our prefix and neither alias.
async function dropOrphans(client: Client, names: IndexNames): Promise<void> {
  const response = await client.indices.get({ index: `${names.concretePrefix}*`, expand_wildcards: "all" });
  for (const [index, info] of Object.entries(response.body)) {
    const aliases = Object.keys((info as { aliases?: Record<string, unknown> }).aliases ?? {});
    if (!aliases.includes(names.live) && !aliases.includes(names.rebuild)) await dropIndex(client, index);
  }
}
