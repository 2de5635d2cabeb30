/**
 * Hostile input, as data. Each case puts one value in one place of a request; the runner
 * (hostile-inputs.test.ts) sends it over REST and, where the place exists there, over the
 * WebSocket. A case is `refused` — VALIDATION_FAILED naming `field`, as the request names it —
 * or `stored` — accepted, and read back exactly as sent and as acknowledged.
 */
export type Place = 'content' | 'groupName' | 'avatarUrl' | 'attachmentUrl' | 'emoji' | 'clientMessageId' | 'metadata' | 'memberIds' | 'search' | 'limit' | 'cursor' | 'since' | 'pinExpiry' | 'historyOffset';

export interface HostileCase {
  place: Place;
  name: string;
  value: unknown;
  outcome: 'refused' | 'stored' | 'answered';
  /** The field the refusal names (for `refused`). */
  field?: string;
}

const long = (n: number) => 'x'.repeat(n);
const refused = (place: Place, field: string, cases: Array<[string, unknown]>): HostileCase[] =>
  cases.map(([name, value]) => ({ place, name, value, outcome: 'refused', field }));
const stored = (place: Place, cases: Array<[string, unknown]>): HostileCase[] => cases.map(([name, value]) => ({ place, name, value, outcome: 'stored' }));

export const CORPUS: HostileCase[] = [
  // Message text.
  ...stored('content', [
    ['emoji, skin tones, ZWJ families', '😀👍🏽👨‍👩‍👧 🏳️‍🌈'],
    ['combining marks', 'e\u0301 Z̸̢̛͉̖̪͓͙̤͍̝̪̳̦̈́̇͐̅̀'],
    ['right-to-left and an override', 'שלום عليكم \u202Eevil'],
    ['zero-width characters and a BOM', 'a\u200Bb\u200Dc\uFEFF'],
    ['markup', '<script>alert(1)</script><img src=x onerror=alert(1)>'],
    ['SQL', "'; DROP TABLE messages; -- \" OR 1=1"],
    ['LIKE and escape characters', '%_\\%\\_'],
    ['control characters but NUL', 'tab\tnewline\ncarriage\rbell\u0007'],
    ['a paired surrogate (astral)', '\uD83D\uDE00'],
    ['the longest text', long(10_000)],
    ['Vietnamese', 'Tiếng Việt có dấu: đường phố'],
  ]),
  ...refused('content', 'content', [
    ['a NUL', 'a\u0000b'],
    ['a lone high surrogate', 'x\ud800y'],
    ['a lone low surrogate', '\udc00'],
    ['empty', ''],
    ['blank', ' \n\t '],
    ['one character too long', long(10_001)],
    ['a number', 42],
    ['null', null],
    ['an object', { text: 'hi' }],
    ['an array', ['hi']],
  ]),
  // Group names.
  ...stored('groupName', [['emoji and RTL', 'فريق 🚀 team']]),
  ...refused('groupName', 'name', [
    ['missing', undefined],
    ['blank', '   '],
    ['101 characters', long(101)],
    ['a NUL', 'a\u0000'],
  ]),
  // URLs: only http(s), no credentials; loopback and link-local are accepted (Parley never fetches them) and stored as given.
  ...stored('avatarUrl', [
    ['loopback', 'http://127.0.0.1/a.png'],
    ['link-local metadata address', 'http://169.254.169.254/latest/meta-data'],
    ['IPv6 loopback', 'https://[::1]:8443/a.png'],
    ['unicode host and path', 'https://exämple.com/ü?q=1#frag'],
  ]),
  ...refused('avatarUrl', 'avatarUrl', [
    ['javascript:', 'javascript:alert(1)'],
    ['data:', 'data:text/html,<script>alert(1)</script>'],
    ['file:', 'file:///etc/passwd'],
    ['ftp:', 'ftp://example.com/a'],
    ['protocol-relative', '//example.com/a.png'],
    ['credentials', 'https://user:secret@example.com/a.png'],
    ['not a URL', 'not a url'],
    ['2,049 characters', `https://example.com/${long(2_030)}`],
  ]),
  ...refused('attachmentUrl', 'attachments.0.url', [
    ['javascript:', 'javascript:alert(1)'],
    ['file:', 'file:///etc/passwd'],
    ['data:', 'data:image/png;base64,AAAA'],
  ]),
  ...stored('attachmentUrl', [['link-local', 'http://169.254.169.254/x.png']]),
  // Emoji.
  ...stored('emoji', [
    ['skin tone', '👍🏽'],
    ['a ZWJ sequence', '🏳️‍🌈'],
    ['32 characters', long(32)],
  ]),
  ...refused('emoji', 'emoji', [
    ['empty', ''],
    ['surrounding space', ' 👍'],
    ['33 characters', long(33)],
    ['a NUL', '\u0000'],
    ['missing', undefined],
  ]),
  // Idempotency keys and ids: canonical only.
  ...stored('clientMessageId', [['128 characters', long(128)]]),
  ...refused('clientMessageId', 'clientMessageId', [
    ['129 characters', long(129)],
    ['surrounding space', ' key '],
    ['a control character', 'key\n'],
    ['a number', 7],
  ]),
  ...refused('memberIds', 'memberIds.0', [
    ['a trailing space', 'victim '],
    ['empty', ''],
  ]),
  // Metadata.
  ...stored('metadata', [['nested seven deep', { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } }]]),
  ...refused('metadata', 'metadata', [
    ['nested nine deep', { a: { b: { c: { d: { e: { f: { g: { h: { i: 1 } } } } } } } } }],
    ['over 16 KiB', { blob: long(17_000) }],
    ['a NUL in a string', { note: 'a\u0000' }],
    ['a lone surrogate in a key', { ['\ud800']: 1 }],
    ['not an object', 'text'],
  ]),
  // Search text: any text is answered, never a query language; NUL and blank are refused.
  ...['%', '_', '"', "'", 'a:*', '!!', 'OR 1=1', '(', ')', '\\', '*', '😀', "'; DROP TABLE messages; --", 'NEAR(a b)', '-a', '^a'].map(
    (value): HostileCase => ({ place: 'search', name: `search for ${JSON.stringify(value)}`, value, outcome: 'answered' }),
  ),
  ...refused('search', 'q', [
    ['a NUL', '\u0000'],
    ['blank', '   '],
    ['501 characters', long(501)],
  ]),
  // Numbers in query strings.
  ...refused('limit', 'limit', [
    ['zero', '0'],
    ['negative', '-1'],
    ['over the page size', '101'],
    ['a fraction', '1.5'],
    ['NaN', 'NaN'],
    ['hex', '0x10'],
    ['exponent', '1e3'],
    ['text', 'abc'],
  ]),
  // Cursors.
  ...refused('cursor', 'cursor', [
    ['not base64 JSON', 'not-a-cursor'],
    ['base64 of the wrong shape', Buffer.from('{"u":1}').toString('base64url')],
    ['513 characters', long(513)],
    ['a NUL', '\u0000'],
  ]),
  // Catch-up cursors.
  ...refused('since', 'since', [
    ['negative', '-1'],
    ['a fraction', '1.5'],
    ['beyond safe integers', '100000000000000000000'],
  ]),
  // A page of edit history.
  ...refused('historyOffset', 'offset', [
    ['negative', '-1'],
    ['a fraction', '0.5'],
    ['text', 'abc'],
    ['beyond safe integers', '100000000000000000000'],
  ]),
  // A pin's expiry: an ISO date-time in the future, or null.
  ...refused('pinExpiry', 'expiresAt', [
    ['a number', 1_900_000_000_000],
    ['an object', { at: 'tomorrow' }],
    ['words', 'tomorrow'],
    ['in the past', '2001-01-01T00:00:00.000Z'],
    ['a date without a time', '2999-01-01'],
    ['a lone surrogate', '2999-01-01T00:00:00.000Z\ud800'],
    ['10,000 characters', long(10_000)],
  ]),
];
