// The query text in websearch syntax, as PostgreSQL's websearch_to_tsquery reads it: bare words must
// all match (or any, when joined by "or"), "quoted phrases" must match as phrases, -word must not match.

export interface ParsedQueryText {
  words: string[];
  phrases: string[];
  excluded: string[];
  // The words are alternatives ("red or blue") rather than all required.
  anyWord: boolean;
}

export function parseQueryText(text: string): ParsedQueryText {
  const parsed: ParsedQueryText = { words: [], phrases: [], excluded: [], anyWord: false };
  const pattern = /(-?)"([^"]*)"?|(\S+)/g;
  for (const match of text.matchAll(pattern)) {
    const [, negated, phrase, word] = match;
    if (phrase !== undefined) {
      const words = phrase.trim();
      if (words === "") continue;
      if (negated === "-") parsed.excluded.push(words);
      else parsed.phrases.push(words);
    } else if (word !== undefined) {
      if (word.toLowerCase() === "or") {
        parsed.anyWord = parsed.words.length > 0;
      } else if (word.startsWith("-") && word.length > 1) {
        parsed.excluded.push(word.slice(1));
      } else if (word !== "-") {
        parsed.words.push(word);
      }
    }
  }
  return parsed;
}

// The words a correction is computed for and applied to (phrases and exclusions are kept as typed).
export function replaceWords(text: string, replacements: ReadonlyMap<string, string>): string {
  return text.replace(/(-?"[^"]*"?)|(\S+)/g, (whole, quoted: string | undefined) => {
    if (quoted !== undefined || whole.startsWith("-")) return whole;
    return replacements.get(whole.toLowerCase()) ?? whole;
  });
}
