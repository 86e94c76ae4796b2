// Typo correction for the PostgreSQL engine: each query word that is not a known term gets up to three
// candidate terms, the most similar first (pg_trgm similarity above its threshold, 0.3 by default; ties:
// closer length, then alphabetical); the search then lets any candidate match, so the other words of the
// query pick the right one. undefined when no word has a candidate other than itself.
import { type Kysely, sql } from "kysely";

const CANDIDATES = 3;

export async function correctWords(
  db: Kysely<unknown>,
  words: readonly string[],
): Promise<string[][] | undefined> {
  const result = await sql<{ ord: string; word: string; candidates: string[] | null }>`
    SELECT w.ord, w.word,
           CASE WHEN length(w.word) < 3 OR EXISTS (SELECT 1 FROM terms t WHERE t.term = w.word) THEN ARRAY[w.word]
                ELSE ARRAY(SELECT t.term FROM terms t WHERE t.term % w.word
                           ORDER BY similarity(t.term, w.word) DESC, abs(length(t.term) - length(w.word)), t.term
                           LIMIT ${CANDIDATES})
           END AS candidates
    FROM unnest(${words}::text[]) WITH ORDINALITY AS w(word, ord)
    ORDER BY w.ord`.execute(db);
  const alternatives = result.rows.map((row) =>
    row.candidates && row.candidates.length > 0 ? row.candidates : [row.word],
  );
  return alternatives.some((candidates, i) => candidates[0] !== words[i]) ? alternatives : undefined;
}

// The corrected query as text: per word, the first candidate the best hit contains, else the most similar.
export function correctedText(alternatives: readonly string[][], bestHitWords: ReadonlySet<string>): string {
  return alternatives
    .map((candidates) => candidates.find((c) => bestHitWords.has(c)) ?? candidates[0] ?? "")
    .join(" ");
}
