import { foldText } from '../util/text.js';
import type { BeforeEdit, BeforeSend } from './hooks.js';
import { reject } from './hooks.js';

export interface WordFilterOptions {
  /** Words matched whole, ignoring case and diacritics ("Đồ" matches "do"). */
  words?: string[];
  /** Anything else, on the text as written (give them the `g` flag or not: they are used globally). */
  patterns?: RegExp[];
  /** `reject` the message (default) or `mask` what matched with `*`. */
  action?: 'reject' | 'mask';
  /** What a rejected sender is told. */
  message?: string;
}

/** A run of letters, digits and marks: a word as the filter sees it. */
const WORD = /[\p{L}\p{N}][\p{L}\p{M}\p{N}'’]*/gu;

/**
 * A ready-made block list as `beforeSend` and `beforeEdit` hooks:
 *
 *   const filter = createWordFilter({ words: ['spam'], patterns: [/https?:\/\/\S+/], action: 'mask' });
 *   createChatServices({ store, hooks: { beforeSend: filter.beforeSend, beforeEdit: filter.beforeEdit } });
 *
 * Matching is on whole words, folded as search folds them, so case and accents do not slip
 * past it; patterns catch what words cannot (links, numbers).
 */
export function createWordFilter(options: WordFilterOptions): { beforeSend: BeforeSend; beforeEdit: BeforeEdit; check(text: string): string | null } {
  const words = new Set((options.words ?? []).map((w) => foldText(w.trim())).filter((w) => w !== ''));
  const patterns = (options.patterns ?? []).map((p) => new RegExp(p.source, p.flags.includes('g') ? p.flags : `${p.flags}g`));
  const action = options.action ?? 'reject';
  const refusal = options.message ?? 'This message contains words that are not allowed here';

  /** The text with every match masked, or the same string when nothing matched. */
  const mask = (text: string): string => {
    let out = text.replace(WORD, (word) => (words.has(foldText(word)) ? '*'.repeat([...word].length) : word));
    for (const pattern of patterns) out = out.replace(pattern, (match) => '*'.repeat([...match].length));
    return out;
  };

  /** null when the text passes; else what to store instead (mask) — or a rejection is thrown. */
  const check = (text: string): string | null => {
    const masked = mask(text);
    if (masked === text) return null;
    if (action === 'reject') throw reject(refusal, { field: 'content' });
    return masked;
  };

  return {
    check,
    beforeSend: ({ draft }) => {
      if (draft.content === undefined) return undefined;
      const masked = check(draft.content);
      return masked === null ? undefined : { ...draft, content: masked };
    },
    beforeEdit: ({ content }) => check(content) ?? undefined,
  };
}
