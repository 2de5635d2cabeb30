/**
 * Text folding for search: lower case, no diacritics, and Vietnamese `đ` as `d`, so that
 * "tieng viet" finds "Tiếng Việt". The same fold is applied to stored text and to queries.
 */
export function foldText(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase();
}

const MAX_TERMS = 16;

/** Splits a query into folded words (letters and digits); operators and punctuation vanish. */
export function searchTerms(query: string): string[] {
  return foldText(query)
    .split(/[^\p{L}\p{N}]+/u)
    .filter((t) => t.length > 0)
    .slice(0, MAX_TERMS);
}

/** Escapes `%`, `_` and `\` for a SQL LIKE pattern with `ESCAPE '\'`. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
