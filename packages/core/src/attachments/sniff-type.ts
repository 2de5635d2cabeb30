import { fileTypeFromBuffer } from 'file-type/core';

/** How many leading bytes `sniffType` needs: file-type's own sample size. */
export const SNIFF_BYTES = 4_100;

/** Text types a client may name for a file that is text; the bytes cannot tell them apart. */
const TEXT_TYPES = /^(text\/(plain|csv|markdown|tab-separated-values|calendar|vcard)|application\/(json|x-ndjson))$/;

/**
 * What a file really is, from its first bytes — never from what the client declared:
 * - a binary format `file-type` knows (images, video, audio, archives, PDF, …) is that;
 * - markup is `text/html` (or `image/svg+xml`, `application/xml`): whatever it was declared
 *   as, it must never be served as an image (an HTML file declared `image/png` stays HTML);
 * - other valid UTF-8 without NULs is text: the declared type when it is a plain text type,
 *   else `text/plain`;
 * - anything else is `application/octet-stream`.
 */
export async function sniffType(head: Uint8Array, declared: string): Promise<string> {
  if (head.length === 0) return 'application/octet-stream';
  const known = await fileTypeFromBuffer(head);
  // file-type calls any XML `application/xml`; SVG and XHTML among them are told apart below.
  if (known !== undefined && !known.mime.endsWith('xml')) return known.mime;
  const markup = markupType(head);
  if (markup !== null) return markup;
  if (isText(head)) return TEXT_TYPES.test(declared) ? declared : 'text/plain';
  return 'application/octet-stream';
}

function markupType(head: Uint8Array): string | null {
  const start = new TextDecoder('utf-8', { fatal: false }).decode(head.subarray(0, 1024)).replace(/^\uFEFF/, '').trimStart().toLowerCase();
  if (!start.startsWith('<')) return null;
  if (start.includes('<svg')) return 'image/svg+xml';
  if (start.startsWith('<?xml') && !/<(html|script|body|head)\b/.test(start)) return 'application/xml';
  return 'text/html';
}

/** UTF-8 that decodes cleanly and holds no NUL: text. A multi-byte character cut at the sample's end is fine. */
function isText(head: Uint8Array): boolean {
  if (head.includes(0)) return false;
  let end = head.length;
  // Back off a character the sample cut in two (at most 3 continuation bytes).
  for (let i = head.length - 1; i >= Math.max(0, head.length - 4); i -= 1) {
    const byte = head[i]!;
    if ((byte & 0xc0) === 0x80) continue;
    if (byte >= 0xc0) end = i;
    break;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, end));
    return true;
  } catch {
    return false;
  }
}
