import { create as contentDisposition } from 'content-disposition';
import type { AttachmentRecord } from '../domain/types.js';

/**
 * When a message may claim an uploaded attachment, written once for every store: it is
 * complete (its bytes were checked), it was uploaded by the sender for this conversation,
 * and no other message uses it. Stores apply it inside `insertMessages`' transaction; SQL
 * stores use `claimCondition`, the same rule as a WHERE clause.
 */
export function claimable(
  row: Pick<AttachmentRecord, 'status' | 'uploaderId' | 'conversationId' | 'messageId'>,
  message: { senderId: string; conversationId: string },
): boolean {
  return row.status === 'complete' && row.uploaderId === message.senderId && row.conversationId === message.conversationId && row.messageId === null;
}

/** The ids of a new message's uploaded attachments, which its insert must claim. */
export function uploadedIds(message: { attachments: ReadonlyArray<{ id?: string }> }): string[] {
  return message.attachments.flatMap((a) => (a.id === undefined ? [] : [a.id]));
}

/**
 * `claimable` as an SQL condition over Parley's attachment columns, with placeholders for
 * the sender and the conversation (`?` in SQLite, `$n` in Postgres).
 */
export function claimCondition(sql: { sender: string; conversation: string }): string {
  return `status = 'complete' AND uploader_id = ${sql.sender} AND conversation_id = ${sql.conversation} AND message_id IS NULL`;
}

/**
 * Types a browser may show inline. Everything else is served as a download: above all SVG
 * and HTML, which run script in the page's origin when opened inline.
 */
const INLINE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp']);

export function servesInline(mimeType: string): boolean {
  return INLINE_TYPES.has(mimeType);
}

/**
 * The headers a download is served with, by every attachment store that controls them:
 * the sniffed type, `inline` only for safe image types, the name encoded per RFC 6266 (with
 * an ASCII fallback), `nosniff` so a browser never second-guesses the type, and a sandbox
 * CSP so that even a document opened directly cannot run script.
 */
export function downloadHeaders(file: { fileName: string; contentType: string; inline: boolean }): Record<string, string> {
  const inline = file.inline && servesInline(file.contentType);
  return {
    'content-type': file.contentType,
    'content-disposition': dispositionHeader(file.fileName, inline),
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
    'cache-control': 'private, max-age=3600',
  };
}

/** `Content-Disposition` for a file name: `inline` or `attachment`, RFC 6266 / 5987. */
export function dispositionHeader(fileName: string, inline: boolean): string {
  return contentDisposition(fileName, { type: inline ? 'inline' : 'attachment' });
}
