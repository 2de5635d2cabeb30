import { z } from 'zod';
import type { ChatLimits } from './limits.js';
import { MESSAGE_TYPES } from './types.js';

/** Types a client may send; `system` messages are posted by Parley itself. */
export const SENDABLE_MESSAGE_TYPES = MESSAGE_TYPES.filter((t) => t !== 'system') as Exclude<
  (typeof MESSAGE_TYPES)[number],
  'system'
>[];
const MEDIA_TYPES = new Set(['image', 'video', 'audio', 'file']);

/** Unpaired UTF-16 surrogates: with the `u` flag, a well-formed pair is one code point and never matches. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** What in a string no store can keep exactly, or null: such text is refused here, never altered. */
export function textProblem(value: string): string | null {
  if (value.includes('\u0000')) return 'a NUL character';
  if (LONE_SURROGATE.test(value)) return 'a lone surrogate (not valid Unicode)';
  return null;
}

/**
 * A string field of a request: "is required" when missing, "must be …" when of another type,
 * and refused when no store could keep it exactly (NUL, lone surrogates), so that what is
 * acknowledged is always what is stored.
 */
export function text(what = 'a string') {
  return z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : `must be ${what}`) })
    .superRefine((value, ctx) => {
      const problem = textProblem(value);
      if (problem !== null) ctx.addIssue({ code: 'custom', message: `must not contain ${problem}` });
    });
}

/**
 * Ids (users, conversations, messages) in canonical form only: no surrounding whitespace, no
 * control characters. Nothing is trimmed, so no id can be turned into another user's.
 */
export const idSchema = text('a string id')
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .refine((id) => id.trim() === id && !/[\u0000-\u001f\u007f]/.test(id), 'must not start or end with whitespace or hold control characters');

const isoDate = z.iso.datetime({ offset: true, error: 'must be an ISO-8601 date-time' });

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** A URL with `user:password@` would hand a credential to whoever renders it. */
function hasCredentials(value: string): boolean {
  try {
    const url = new URL(value);
    return url.username !== '' || url.password !== '';
  } catch {
    return false;
  }
}

const httpUrl = text()
  .max(2048, 'must be at most 2048 characters')
  .refine(isHttpUrl, 'must be an http(s) URL')
  .refine((url) => !hasCredentials(url), 'must not carry a user name or password');

function pageLimit(limits: ChatLimits, fallback: number) {
  return z
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(limits.maxPageSize, `must be at most ${limits.maxPageSize}`)
    .default(Math.min(fallback, limits.maxPageSize));
}

/**
 * Why `value` is not acceptable JSON metadata, or null. Depth is measured without recursion
 * (a 5,000-deep object must not overflow the stack on the way to being refused), then the
 * size of its JSON text.
 */
function jsonProblem(value: unknown, maxDepth: number, maxBytes: number): string | null {
  const stack: Array<[unknown, number]> = [[value, 1]];
  let visited = 0;
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node === 'number' && !Number.isFinite(node)) return 'must hold only finite numbers';
    if (typeof node === 'bigint' || typeof node === 'function' || typeof node === 'symbol') return 'must be plain JSON';
    const problem = typeof node === 'string' ? textProblem(node) : null;
    if (problem !== null) return `must not contain ${problem} in any string`;
    if (typeof node !== 'object' || node === null) continue;
    for (const key of Object.keys(node)) {
      const keyProblem = textProblem(key);
      if (keyProblem !== null) return `must not contain ${keyProblem} in any key`;
    }
    if (depth > maxDepth) return `must be nested at most ${maxDepth} levels deep`;
    if ((visited += 1) > maxBytes) return `must be at most ${maxBytes} bytes as JSON`;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  const bytes = new TextEncoder().encode(JSON.stringify(value)).length;
  return bytes > maxBytes ? `must be at most ${maxBytes} bytes as JSON (it is ${bytes})` : null;
}

/** A seq or version: a whole number no store can overflow (Postgres bigint, JavaScript's safe integers). */
export const counterSchema = z
  .number({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a number') })
  .int('must be a whole number')
  .min(0, 'must be 0 or more')
  .max(Number.MAX_SAFE_INTEGER, 'is too large');
const seqCursor = counterSchema;

/** Why a message is reported. */
export const REPORT_REASONS = ['spam', 'harassment', 'hate', 'violence', 'sexual', 'illegal', 'other'] as const;

/** All input schemas, built from the configured limits. */
export function createSchemas(limits: ChatLimits) {
  const content = text()
    .max(limits.maxContentLength, `must be at most ${limits.maxContentLength} characters`);

  const fileName = text().min(1, 'must not be empty').max(255, 'must be at most 255 characters');
  const mimeType = text().max(255, 'must be at most 255 characters').regex(/^[\w.+-]+\/[\w.+-]+$/, 'must be a MIME type such as image/png');
  const fileSize = z
    .number({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a number') })
    .int('must be a whole number of bytes')
    .min(0, 'must be 0 or more')
    .max(limits.maxAttachmentBytes, `must be at most ${limits.maxAttachmentBytes} bytes`);

  const attachment = z.object({ url: httpUrl, name: fileName, mimeType, size: fileSize });

  /** An upload slot: the file as the client describes it; Parley checks the bytes later. */
  const createUpload = z.object({ conversationId: idSchema, name: fileName, mimeType, size: fileSize });

  const emoji = text()
    .refine((e) => e.trim() === e, 'must not start or end with whitespace')
    .min(1, 'must not be empty')
    .max(limits.maxEmojiLength, `must be at most ${limits.maxEmojiLength} characters`);

  const sendMessage = z
    .object({
      conversationId: idSchema,
      type: z.enum(SENDABLE_MESSAGE_TYPES, { error: `must be one of ${SENDABLE_MESSAGE_TYPES.join(', ')}` }).default('text'),
      content: content.optional(),
      replyToId: idSchema.optional(),
      attachments: z
        .array(attachment)
        .max(limits.maxAttachments, `must have at most ${limits.maxAttachments} attachments`)
        .default([]),
      /** Files uploaded through Parley (`createUpload`), in the order they are shown. */
      attachmentIds: z
        .array(idSchema)
        .max(limits.maxAttachments, `must have at most ${limits.maxAttachments} attachments`)
        .refine((ids) => new Set(ids).size === ids.length, 'must not name an attachment twice')
        .default([]),
      metadata: z
        .record(z.string(), z.unknown())
        .superRefine((value, ctx) => {
          const problem = jsonProblem(value, limits.maxMetadataDepth, limits.maxMetadataBytes);
          if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
        })
        .optional(),
      clientMessageId: idSchema.optional(),
      /** Reply in a thread: the id of its root, a message of the conversation's timeline. */
      threadId: idSchema.optional(),
      /** A thread reply also shown in the conversation's timeline. */
      alsoToConversation: z.boolean({ error: 'must be true or false' }).optional(),
      /** Members to mention (user ids); repeats are dropped. */
      mentions: z
        .array(idSchema, { error: 'must be an array of user ids' })
        .transform((ids) => [...new Set(ids)])
        .refine((ids) => ids.length <= limits.maxMentions, `must name at most ${limits.maxMentions} users`)
        .default([]),
      /** Mention every member (`@everyone`): needs the mentionEveryone capability. */
      mentionEveryone: z.boolean({ error: 'must be true or false' }).optional(),
    })
    .superRefine((value, ctx) => {
      if (value.alsoToConversation === true && value.threadId === undefined) {
        ctx.addIssue({ code: 'custom', path: ['alsoToConversation'], message: 'needs threadId: only a thread reply is also sent to the conversation' });
      }
      if (value.type === 'text' && (value.content === undefined || value.content.trim() === '')) {
        ctx.addIssue({ code: 'custom', path: ['content'], message: 'is required for a text message' });
      }
      const files = value.attachments.length + value.attachmentIds.length;
      if (MEDIA_TYPES.has(value.type) && files === 0) {
        ctx.addIssue({ code: 'custom', path: ['attachments'], message: `needs at least one attachment for a ${value.type} message` });
      }
      if (files > limits.maxAttachments) {
        ctx.addIssue({ code: 'custom', path: ['attachmentIds'], message: `must have at most ${limits.maxAttachments} files, attachments and attachmentIds together` });
      }
    });

  const messagePage = z
    .object({
      before: seqCursor.optional(),
      after: seqCursor.optional(),
      around: seqCursor.optional(),
      limit: pageLimit(limits, 50),
    })
    .refine((v) => [v.before, v.after, v.around].filter((c) => c !== undefined).length <= 1, {
      message: 'use at most one of before, after and around',
      path: ['before'],
    });

  const listConversations = z.object({
    type: z.enum(['direct', 'group'], { error: 'must be direct or group' }).optional(),
    archived: z.boolean({ error: 'must be true or false' }).optional(),
    search: text().max(200, 'must be at most 200 characters').optional(),
    limit: pageLimit(limits, 20),
    cursor: text().max(512).optional(),
  });

  const groupProfile = {
    name: text()
      .max(100, 'must be at most 100 characters')
      .refine((name) => name.trim() !== '', 'must not be empty'),
    description: text().max(1000, 'must be at most 1000 characters'),
    avatarUrl: httpUrl,
  };

  const createGroup = z.object({
    name: groupProfile.name,
    description: groupProfile.description.optional(),
    avatarUrl: groupProfile.avatarUrl.optional(),
    memberIds: z
      .array(idSchema)
      .max(limits.maxGroupMembers, `must have at most ${limits.maxGroupMembers} members`)
      .default([]),
  });

  const updateConversation = z
    .object({
      name: groupProfile.name.optional(),
      description: groupProfile.description.nullable().optional(),
      avatarUrl: groupProfile.avatarUrl.nullable().optional(),
    })
    .refine((v) => v.name !== undefined || v.description !== undefined || v.avatarUrl !== undefined, {
      message: 'give at least one of name, description and avatarUrl',
      path: ['name'],
    });

  const search = z
    .object({
      query: text()
        .max(500, 'must be at most 500 characters')
        .refine((q) => q.trim() !== '', 'must not be empty'),
      conversationId: idSchema.optional(),
      senderId: idSchema.optional(),
      type: z.enum(MESSAGE_TYPES, { error: `must be one of ${MESSAGE_TYPES.join(', ')}` }).optional(),
      from: isoDate.optional(),
      to: isoDate.optional(),
      limit: pageLimit(limits, 20),
      cursor: text().max(64).optional(),
    });

  const future = isoDate.nullable().optional();
  const moderation = {
    ban: z.object({
      userId: idSchema,
      reason: text().max(500, 'must be at most 500 characters').optional(),
      /** Until when; absent or null: until lifted. */
      until: future,
    }),
    silence: z.object({ userId: idSchema, until: future }),
    slowMode: z.object({
      seconds: z
        .number({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a number') })
        .int('must be a whole number of seconds')
        .min(0, 'must be 0 (off) or more')
        .max(21_600, 'must be at most 21600 (6 hours)'),
    }),
    report: z.object({
      reason: z.enum(REPORT_REASONS, { error: `must be one of ${REPORT_REASONS.join(', ')}` }),
      note: text().max(1_000, 'must be at most 1000 characters').optional(),
    }),
    resolveReport: z.object({ action: z.enum(['dismiss', 'delete', 'ban'], { error: 'must be dismiss, delete or ban' }) }),
  };

  const markThreadRead = z.object({ threadId: idSchema, messageId: idSchema.optional() });

  return {
    ...moderation,
    markThreadRead,
    pageLimit: pageLimit(limits, 50),
    id: idSchema,
    content: content.refine((c) => c.trim() !== '', 'must not be empty'),
    emoji,
    role: z.enum(['owner', 'admin', 'member'], { error: 'must be owner, admin or member' }),
    memberIds: z.array(idSchema).min(1, 'must name at least one user').max(limits.maxGroupMembers),
    mutedUntil: isoDate.nullable().optional(),
    /** `pinMessage` options: until when the pin holds (absent or null: until unpinned). */
    pin: z.object({ expiresAt: isoDate.nullable().optional() }),
    /** `getMessageHistory` options: a page of versions, oldest first. */
    historyPage: z.object({
      offset: z.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be 0 or more').max(Number.MAX_SAFE_INTEGER).default(0),
      limit: pageLimit(limits, 50),
    }),
    seq: seqCursor,
    forEveryone: z.boolean({ error: 'must be true or false' }),
    sendMessage,
    createUpload,
    messagePage,
    listConversations,
    createGroup,
    updateConversation,
    search,
  };
}

export type Schemas = ReturnType<typeof createSchemas>;
export type SendMessageInput = z.input<Schemas['sendMessage']>;
export type ParsedSendMessage = z.output<Schemas['sendMessage']>;
export type BanInput = z.input<Schemas['ban']>;
export type SilenceInput = z.input<Schemas['silence']>;
export type ReportInput = z.input<Schemas['report']>;
export type ResolveAction = z.output<Schemas['resolveReport']>['action'];
export type CreateUploadInput = z.input<Schemas['createUpload']>;
export type MessagePageOptions = z.input<Schemas['messagePage']>;
export type ListConversationsOptions = z.input<Schemas['listConversations']>;
export type CreateGroupInput = z.input<Schemas['createGroup']>;
export type UpdateConversationInput = z.input<Schemas['updateConversation']>;
export type PinInput = z.input<Schemas['pin']>;
export type HistoryPageOptions = z.input<Schemas['historyPage']>;
export type SearchOptions = Omit<z.input<Schemas['search']>, 'query'>;
