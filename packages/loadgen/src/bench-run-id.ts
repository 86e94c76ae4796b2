// A short random id for one benchmark run: its throwaway schema, topics, consumer groups and cache keys
// carry it, so runs (and the tests beside them) never share state and cleanup finds what a run made.
import { randomUUID } from "node:crypto";

/** 12 lower-case hex characters: valid in a schema name, a topic name and a Redis key. */
export function benchRunId(): string {
  return randomUUID().replaceAll("-", "").slice(0, 12);
}
