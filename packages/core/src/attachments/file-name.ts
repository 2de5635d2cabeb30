/** Characters no file name keeps: controls, bidi overrides and isolates (which disguise `gpj.exe` as `exe.jpg`), zero-width ones. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
/** Reserved on Windows, or path syntax anywhere. */
const RESERVED = /[<>:"/\\|?*]/g;
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i;

/**
 * A file name safe to store and to hand back in `Content-Disposition`: the last path segment
 * only, without control, bidi or zero-width characters, reserved characters replaced, no
 * leading dots (hidden files) or trailing dots and spaces, at most 255 UTF-8 bytes with the
 * extension kept. Never empty: `file` stands in.
 */
export function sanitizeFileName(raw: string): string {
  const base = raw.normalize('NFC').split(/[/\\]/).pop() ?? '';
  let name = base.replace(UNSAFE, '').replace(RESERVED, '_').trim().replace(/^\.+/, '').replace(/[. ]+$/, '');
  if (WINDOWS_DEVICE.test(name)) name = `_${name}`;
  name = truncateBytes(name, 255);
  return name === '' ? 'file' : name;
}

function truncateBytes(name: string, max: number): string {
  const encoder = new TextEncoder();
  if (encoder.encode(name).length <= max) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  let stem = [...name.slice(0, name.length - ext.length)];
  while (stem.length > 0 && encoder.encode(stem.join('') + ext).length > max) stem = stem.slice(0, -1);
  return stem.join('') + ext;
}
