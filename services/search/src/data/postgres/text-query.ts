// How the PostgreSQL engine turns query text into a tsquery. Plain words: each must match, stemmed
// (english) or as the prefix of a word as typed (simple), so "runn sho" finds "running shoes"; english
// stop words are dropped. Text with websearch operators ("quoted phrase", -excluded, or) goes to
// websearch_to_tsquery as it is.
import { type RawBuilder, sql } from "kysely";

export const MAX_QUERY_WORDS = 16;

export type TextQuery =
  | { kind: "none" }
  | { kind: "words"; words: string[] }
  | { kind: "websearch"; text: string }
  // A corrected query: per word position, the candidate words any of which may match (stemmed).
  | { kind: "alternatives"; alternatives: string[][] };

const WEBSEARCH_SYNTAX = /"|(^|\s)-\S|\sor\s/i;

export function wordsOf(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0)
    .slice(0, MAX_QUERY_WORDS);
}

export function parseTextQuery(text: string): TextQuery {
  const trimmed = text.trim();
  if (trimmed === "") return { kind: "none" };
  if (WEBSEARCH_SYNTAX.test(trimmed)) return { kind: "websearch", text: trimmed };
  const words = wordsOf(trimmed);
  return words.length === 0 ? { kind: "none" } : { kind: "words", words };
}

// The tsquery of a text query; NULL (matches nothing) when every word was a stop word.
export function tsqueryOf(query: Exclude<TextQuery, { kind: "none" }>): RawBuilder<unknown> {
  if (query.kind === "websearch") return sql`websearch_to_tsquery('english', ${query.text})`;
  if (query.kind === "alternatives") {
    const words = query.alternatives.flat();
    const positions = query.alternatives.flatMap((alternatives, position) =>
      alternatives.map(() => position),
    );
    return sql`(SELECT tsquery_and_agg(candidates) FROM (
        SELECT tsquery_or_agg(CASE WHEN numnode(plainto_tsquery('english', a.word)) = 0 THEN NULL
                                   ELSE plainto_tsquery('english', a.word) END) AS candidates
        FROM unnest(${words}::text[], ${positions}::int[]) AS a(word, position)
        GROUP BY a.position) c)`;
  }
  return sql`(SELECT tsquery_and_agg(
      CASE WHEN numnode(plainto_tsquery('english', w)) = 0 THEN NULL
           ELSE plainto_tsquery('english', w) || to_tsquery('simple', w || ':*') END)
    FROM unnest(${query.words}::text[]) AS w)`;
}
