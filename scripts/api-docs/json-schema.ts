import { z } from 'zod';
import type { $ZodType } from 'zod/v4/core';

export type JsonSchema = Record<string, unknown>;
export type Target = 'draft-2020-12' | 'draft-7';

/**
 * Clean-ups of zod's output that change no meaning: the 500-character regex zod adds beside
 * `format: date-time` (the format says it), and the ±2^53 bounds of every `z.int()` (any JSON
 * integer a client will see is within them).
 */
function tidy(schema: JsonSchema): void {
  if (schema.format === 'date-time') delete schema.pattern;
  if (schema.type === 'integer') {
    if (schema.minimum === Number.MIN_SAFE_INTEGER) delete schema.minimum;
    if (schema.maximum === Number.MAX_SAFE_INTEGER) delete schema.maximum;
  }
}

/**
 * Converts zod schemas (classic `zod` and `zod/mini` alike) with zod 4's own JSON Schema
 * output, in *input* mode: a field with a default is optional, and objects don't forbid other
 * properties (requests may carry more, Parley strips them; responses may gain fields later).
 */
export function toJsonSchema(schema: $ZodType, target: Target): JsonSchema {
  const out = z.toJSONSchema(schema, { io: 'input', target, unrepresentable: 'throw', override: (ctx) => tidy(ctx.jsonSchema as JsonSchema) }) as JsonSchema;
  delete out.$schema;
  return out;
}

/**
 * Named schemas for a document's `components.schemas`: each is registered once under a
 * name, referenced as `$ref`, and converted together, so a schema used inside another
 * (`Message` inside `ConversationListItem`) becomes a `$ref` there too.
 */
export class SchemaComponents {
  private readonly registry = z.registry<{ id: string }>();
  private readonly names = new Map<$ZodType, string>();
  private readonly taken = new Set<string>();

  constructor(
    private readonly prefix: string,
    private readonly target: Target,
  ) {}

  /** Registers `schema` as `name` (or keeps the name it already has) and returns the name. */
  name(schema: $ZodType, name: string): string {
    const known = this.names.get(schema);
    if (known !== undefined) return known;
    if (this.taken.has(name)) throw new Error(`Two different schemas are both named ${name}`);
    this.registry.add(schema, { id: name });
    this.names.set(schema, name);
    this.taken.add(name);
    return name;
  }

  ref(schema: $ZodType, name: string): { $ref: string } {
    return { $ref: `${this.prefix}${this.name(schema, name)}` };
  }

  /** Every registered schema as JSON Schema, by name, sorted. */
  build(): Record<string, JsonSchema> {
    const { schemas } = z.toJSONSchema(this.registry, {
      io: 'input',
      target: this.target,
      unrepresentable: 'throw',
      uri: (id) => `${this.prefix}${id}`,
      override: (ctx) => tidy(ctx.jsonSchema as JsonSchema),
    }) as { schemas: Record<string, JsonSchema> };
    const sorted: Record<string, JsonSchema> = {};
    for (const name of Object.keys(schemas).sort()) {
      const { $schema: _s, $id: _i, ...rest } = schemas[name]!;
      sorted[name] = rest;
    }
    return sorted;
  }
}
