import type { z } from 'zod';
import { ChatError, type FieldIssue } from './errors.js';

/**
 * Parses `input` with `schema`, or throws one VALIDATION_FAILED ChatError naming every bad
 * field (`details.issues`) and the first one (`details.field`). Fields are named as the
 * request names them (`content`, `limit`): `root` names the value itself — a scalar
 * (`conversationId`), or an object that is not one — and prefixes nested paths only when
 * `prefix` is set (`since.seq`).
 */
export function validate<S extends z.ZodType>(schema: S, input: unknown, root?: string, prefix = false): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues: FieldIssue[] = result.error.issues.map((issue) => {
    const path = [prefix ? root : undefined, ...issue.path.map(String)].filter((p) => p !== undefined && p !== '').join('.');
    return { field: path || (root ?? 'input'), message: issue.message };
  });
  const first = issues[0] ?? { field: root ?? 'input', message: 'is invalid' };
  const summary = issues.map((i) => `${i.field}: ${i.message}`).join('; ');
  return throwValidation(summary, first.field, issues);
}

function throwValidation(summary: string, field: string, issues: FieldIssue[]): never {
  throw new ChatError('VALIDATION_FAILED', `Invalid input — ${summary}`, { field, issues });
}
