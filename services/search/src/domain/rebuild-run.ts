// A full rebuild of the index from the catalog's and the warehouse's APIs, as its progress is reported.

export type RebuildState = "running" | "completed" | "failed" | "aborted";

export interface RebuildRun {
  id: string;
  engine: "postgres" | "opensearch";
  state: RebuildState;
  productsIndexed: number;
  pagesDone: number;
  error?: string | undefined;
  startedAt: Date;
  finishedAt?: Date | undefined;
}

// A running rebuild whose heartbeat is older than this is taken as dead (its process stopped).
export const REBUILD_HEARTBEAT_TIMEOUT_MS = 60_000;
