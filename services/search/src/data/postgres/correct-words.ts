// Typo correction for the PostgreSQL engine: each query word that is not a known term is replaced by the
// most similar term (pg_trgm similarity above its threshold, 0.3 by default; ties: closer length, then
// alphabetical). undefined when no word changed.
import { type Kysely, sql } from "kysely";

export async function correctWords(db: Kysely<unknown>, words: readonly string[]): Promise<string[] | undefined> {
  const result = await sql<{ word: string; best: string | null }>`
    SELECT w.word,
           CASE WHEN length(w.word) < 3 OR EXISTS (SELECT 1 FROM terms t WHERE t.term = w.word) THEN w.word
                ELSE (SELECT t.term FROM terms t WHERE t.term % w.word
                      ORDER BY similarity(t.term, w.word) DESC, abs(length(t.term) - length(w.word)), t.term
                      LIMIT 1)
           END AS best
    FROM unnest(${words}::text[]) WITH ORDINALITY AS w(word, ord)
    ORDER BY w.ord`.execute(db);
  const corrected = result.rows.map((row) => row.best ?? row.word);
  return corrected.some((word, i) => word !== words[i]) ? corrected : undefined;
}
