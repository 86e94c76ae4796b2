// Version-guarded writes without scripts: read the stored documents with their sequence numbers, decide
// per document in code (the same guard as the PostgreSQL engine: a part moves only to a newer version),
// and write back conditionally on the sequence number (if_seq_no/if_primary_term). A concurrent writer
// makes the conditional write fail with 409, and that document is read and decided again, so two racing
// writers cannot both win and an older event never overwrites a newer one.
import type { Client } from "@opensearch-project/opensearch";
import type { WriteOutcome } from "../../domain/search-document.ts";
import type { DocumentSource } from "./document-source.ts";

// How one incoming item changes a document: the outcome, and the new source when it applies.
export type ApplyItem<T> = (
  stored: DocumentSource | undefined,
  item: T,
) => { outcome: WriteOutcome; next?: DocumentSource };

export interface GuardedWriteOptions {
  // Documents to start from when the target has none for a sku (a shadow index seeded from the live one).
  seed?: ReadonlyMap<string, DocumentSource> | undefined;
  refresh: "true" | "false" | "wait_for";
}

export interface GuardedWriteResult {
  outcomes: WriteOutcome[];
  // Each touched sku's source after the write (also when nothing changed), for seeding another index.
  finals: Map<string, DocumentSource>;
}

interface StoredVersion {
  source: DocumentSource;
  seqNo: number;
  primaryTerm: number;
}

// Each round one writer of a document wins and writers whose version is then stale stop, so rounds are
// few; the bound only stops a livelock. Losers wait a little, jittered, before reading again.
const MAX_ATTEMPTS = 50;
const backoff = (attempt: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, attempt * 5)));

export class GuardedWriteConflictError extends Error {}

async function readStored(
  client: Client,
  target: string,
  skus: string[],
): Promise<Map<string, StoredVersion>> {
  const response = await client.mget({ index: target, realtime: true, body: { ids: skus } });
  const stored = new Map<string, StoredVersion>();
  for (const doc of response.body.docs) {
    if ("found" in doc && doc.found && doc._source !== undefined) {
      stored.set(doc._id, {
        source: doc._source as DocumentSource,
        seqNo: Number(doc._seq_no),
        primaryTerm: Number(doc._primary_term),
      });
    }
  }
  return stored;
}

// The fields of `next` that differ from `stored`: the partial document an update sends.
function changedFields(stored: DocumentSource, next: DocumentSource): Partial<DocumentSource> {
  const changed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(next)) {
    if (JSON.stringify(value) !== JSON.stringify(stored[key as keyof DocumentSource])) changed[key] = value;
  }
  return changed as Partial<DocumentSource>;
}

export async function guardedWrite<T extends { sku: string }>(
  client: Client,
  target: string,
  items: readonly T[],
  apply: ApplyItem<T>,
  options: GuardedWriteOptions,
): Promise<GuardedWriteResult> {
  const outcomes: WriteOutcome[] = new Array(items.length);
  const finals = new Map<string, DocumentSource>();
  // Items per sku, in their given order: a batch may carry several writes to one document.
  const bySku = new Map<string, number[]>();
  items.forEach((item, i) => {
    const positions = bySku.get(item.sku) ?? [];
    positions.push(i);
    bySku.set(item.sku, positions);
  });
  let pending = [...bySku.keys()];
  for (let attempt = 1; pending.length > 0; attempt++) {
    if (attempt > MAX_ATTEMPTS) {
      throw new GuardedWriteConflictError(
        `${pending.length} documents still conflicted after ${MAX_ATTEMPTS} attempts in ${target}`,
      );
    }
    const stored = await readStored(client, target, pending);
    const operations: Record<string, unknown>[] = [];
    const written: string[] = [];
    for (const sku of pending) {
      const current = stored.get(sku);
      const seeded = current === undefined ? options.seed?.get(sku) : undefined;
      let state = current?.source ?? seeded;
      let changed = seeded !== undefined;
      for (const position of bySku.get(sku) ?? []) {
        const result = apply(state, items[position] as T);
        outcomes[position] = result.outcome;
        if (result.next !== undefined) {
          state = result.next;
          changed = true;
        }
      }
      if (state !== undefined) finals.set(sku, state);
      if (!changed || state === undefined) continue;
      written.push(sku);
      if (current === undefined) {
        operations.push({ create: { _id: sku } }, { ...state });
      } else {
        operations.push(
          { update: { _id: sku, if_seq_no: current.seqNo, if_primary_term: current.primaryTerm } },
          { doc: changedFields(current.source, state) },
        );
      }
    }
    if (operations.length === 0) break;
    const response = await client.bulk({ index: target, refresh: options.refresh, body: operations });
    const retry: string[] = [];
    response.body.items.forEach((item, i) => {
      const result = item.create ?? item.update ?? item.index;
      const sku = written[i] as string;
      if (result === undefined || (result.status >= 200 && result.status < 300)) return;
      // 409: another writer got there between our read and our write; decide again on what it wrote.
      if (result.status === 409) {
        retry.push(sku);
        return;
      }
      throw new Error(
        `writing ${sku} to ${target} failed (${result.status}): ${result.error?.type ?? ""} ${result.error?.reason ?? ""}`,
      );
    });
    pending = retry;
    if (pending.length > 0) await backoff(attempt);
  }
  return { outcomes, finals };
}
