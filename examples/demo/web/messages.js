// The open conversation's messages: date separators, consecutive messages of one sender
// grouped, files and image thumbnails, and the sends not stored yet with why.

import { el } from './dom.js';
import { dayLabel, formatSize, sameDay, seconds, timeLabel } from './format.js';

const GROUP_GAP_MS = 5 * 60_000;
const QUICK_EMOJI = ['👍', '❤️', '😂'];

/**
 * ctx: { me, nameOf, window, view, limits, links, actions, confirmDelete, highlightSeq, status, readersOf }
 * actions: { reply, react, edit, remove, askDelete, cancelDelete, retry, discard, loadOlder, report? }
 */
export function renderMessageList(ctx) {
  const { window } = ctx;
  const nodes = [];
  if (window.hasMoreBefore) nodes.push(el('button', { type: 'button', class: 'load-older', text: 'Load older messages', 'data-testid': 'load-older', onclick: ctx.actions.loadOlder }));
  else if (window.messages.length > 0) nodes.push(el('div', { class: 'history-start', text: 'This is the start of the conversation' }));
  const byId = new Map(window.messages.map((m) => [m.id, m]));
  const lastMine = window.messages.findLast((m) => m.senderId === ctx.me.id && m.type !== 'system');
  let previous = null;
  for (const m of window.messages) {
    if (previous === null || !sameDay(previous.createdAt, m.createdAt)) {
      nodes.push(el('div', { class: 'day', role: 'separator', 'data-testid': 'day-separator' }, [el('span', { text: dayLabel(m.createdAt) })]));
    }
    const grouped =
      previous !== null &&
      previous.type !== 'system' &&
      m.type !== 'system' &&
      previous.senderId === m.senderId &&
      sameDay(previous.createdAt, m.createdAt) &&
      Date.parse(m.createdAt) - Date.parse(previous.createdAt) < GROUP_GAP_MS;
    nodes.push(renderMessage(m, { ...ctx, byId, grouped, isLastMine: m === lastMine }));
    previous = m;
  }
  for (const entry of window.pending) nodes.push(renderPending(entry, ctx));
  return nodes;
}

function renderMessage(m, ctx) {
  const base = { seq: m.seq, id: m.id, testid: 'message' };
  if (m.type === 'system') return el('div', { class: 'msg system', dataset: base }, [el('span', { class: 'text', text: m.content ?? '', 'data-testid': 'message-text' })]);
  const mine = m.senderId === ctx.me.id;
  const caps = ctx.view?.info?.capabilities ?? [];
  const canDeleteForEveryone = !m.deletedForEveryone && (mine || caps.includes('deleteOthers'));
  const replied = m.replyToId ? ctx.byId.get(m.replyToId) : null;
  const classes = ['msg', mine ? 'mine' : '', ctx.grouped ? 'grouped' : '', m.seq === ctx.highlightSeq ? 'highlight' : ''].filter(Boolean).join(' ');
  const confirming = ctx.confirmDelete === m.id;
  const reporting = !mine && !m.deletedForEveryone && ctx.actions.report?.current() === m.id;
  return el('div', { class: classes, dataset: base, tabindex: 0 }, [
    mine || ctx.grouped ? null : el('div', { class: 'sender', text: ctx.nameOf(m.senderId), 'data-testid': 'message-sender' }),
    m.replyToId
      ? el('div', { class: 'quote', 'data-testid': 'reply-quote', text: replied ? `${ctx.nameOf(replied.senderId)}: ${replied.deletedForEveryone ? 'Message deleted' : (replied.content ?? attachmentSummary(replied))}` : 'Reply to an earlier message' })
      : null,
    m.deletedForEveryone ? null : renderAttachments(m, ctx),
    m.deletedForEveryone
      ? el('div', { class: 'text deleted', text: 'Message deleted', 'data-testid': 'message-text' })
      : m.content
        ? el('div', { class: 'text', text: m.content, 'data-testid': 'message-text' })
        : m.attachments.length === 0
          ? el('div', { class: 'text', text: `[${m.type}]`, 'data-testid': 'message-text' })
          : null,
    (m.threadId ?? null) !== null
      ? el('button', { type: 'button', class: 'in-thread link', text: '↳ replied in a thread', 'data-testid': 'in-thread', onclick: () => ctx.actions.openThread?.(m.threadId) })
      : null,
    m.thread && m.thread.replyCount > 0
      ? el('button', { type: 'button', class: 'thread-summary', 'data-testid': 'thread-summary', onclick: () => ctx.actions.openThread?.(m.id) }, [
          `💬 ${m.thread.replyCount} ${m.thread.replyCount === 1 ? 'reply' : 'replies'}`,
          m.thread.lastReplyAt ? ` · last ${timeLabel(m.thread.lastReplyAt)}` : '',
          (ctx.threadUnread?.[m.id]?.unreadCount ?? 0) > 0 ? el('span', { class: 'badge', text: String(ctx.threadUnread[m.id].unreadCount), 'data-testid': 'thread-unread' }) : null,
        ])
      : null,
    m.reactions.length > 0 && !m.deletedForEveryone
      ? el('div', { class: 'reactions' }, m.reactions.map((r) =>
          el('button', { type: 'button', class: r.userIds.includes(ctx.me.id) ? 'mine' : '', title: r.userIds.map(ctx.nameOf).join(', '), text: `${r.emoji} ${r.count}`, 'data-testid': 'reaction', onclick: () => ctx.actions.react(m, r.emoji) }),
        ))
      : null,
    el('div', { class: 'meta' }, [
      el('span', { text: timeLabel(m.createdAt), title: new Date(m.createdAt).toLocaleString() }),
      m.editedAt && !m.deletedForEveryone
        ? el('button', { type: 'button', class: 'link edited', text: 'edited', title: 'Show the earlier versions', 'data-testid': 'edited', onclick: () => ctx.actions.toggleHistory(m) })
        : null,
      ctx.pinned.has(m.id) ? el('span', { class: 'pinned-mark', text: '📌', title: 'Pinned', 'data-testid': 'pinned-mark' }) : null,
      mine && ctx.isLastMine ? el('span', { text: receiptText(m, ctx), 'data-testid': 'receipt' }) : null,
    ]),
    confirming
      ? el('div', { class: 'confirm', role: 'alertdialog', 'data-testid': 'confirm-delete' }, [
          el('span', { text: 'Delete this message for everyone?' }),
          el('button', { type: 'button', class: 'danger', text: 'Delete', 'data-testid': 'confirm-delete-yes', onclick: () => ctx.actions.remove(m, true) }),
          el('button', { type: 'button', text: 'Cancel', 'data-testid': 'confirm-delete-no', onclick: ctx.actions.cancelDelete }),
        ])
      : null,
    reporting ? renderReportForm(m, ctx.actions.report) : null,
    ctx.history?.messageId === m.id && !m.deletedForEveryone ? renderHistory(ctx.history, ctx) : null,
    m.deletedForEveryone || confirming || reporting
      ? null
      : el('div', { class: 'actions' }, [
          el('button', { type: 'button', text: '↩', title: 'Reply', 'aria-label': 'Reply', 'data-testid': 'action-reply', onclick: () => ctx.actions.reply(m) }),
          (m.threadId ?? null) === null && ctx.actions.openThread ? el('button', { type: 'button', text: '🧵', title: 'Reply in a thread', 'aria-label': 'Reply in a thread', 'data-testid': 'action-thread', onclick: () => ctx.actions.openThread(m.id) }) : null,
          ...QUICK_EMOJI.map((emoji) => el('button', { type: 'button', text: emoji, title: `React ${emoji}`, 'data-testid': `action-react-${emoji}`, onclick: () => ctx.actions.react(m, emoji) })),
          caps.includes('pin')
            ? el('button', {
                type: 'button',
                text: ctx.pinned.has(m.id) ? 'unpin' : '📌',
                title: ctx.pinned.has(m.id) ? 'Unpin' : 'Pin to the top of the conversation',
                'data-testid': ctx.pinned.has(m.id) ? 'action-unpin' : 'action-pin',
                onclick: () => ctx.actions.pin(m, !ctx.pinned.has(m.id)),
              })
            : null,
          mine && m.content ? el('button', { type: 'button', text: '✎', title: 'Edit', 'aria-label': 'Edit', 'data-testid': 'action-edit', onclick: () => ctx.actions.edit(m) }) : null,
          el('button', { type: 'button', text: '🗑 me', title: 'Delete for me', 'data-testid': 'action-delete-me', onclick: () => ctx.actions.remove(m, false) }),
          canDeleteForEveryone ? el('button', { type: 'button', text: '🗑 all', title: 'Delete for everyone', 'data-testid': 'action-delete-all', onclick: () => ctx.actions.askDelete(m) }) : null,
          !mine && ctx.actions.report ? el('button', { type: 'button', text: '⚑', title: 'Report to the moderators', 'aria-label': 'Report', 'data-testid': 'action-report', onclick: () => ctx.actions.report.open(m) }) : null,
        ]),
  ]);
}

/** A message's earlier texts, oldest first, as the server keeps them (`getMessageHistory`). */
function renderHistory(history, ctx) {
  if (history.data === null) return el('div', { class: 'history', 'data-testid': 'history', text: history.error ?? 'Loading the earlier versions…' });
  const versions = history.data.versions;
  return el('div', { class: 'history', 'data-testid': 'history' }, [
    el('span', { text: versions.length === 0 ? 'No earlier versions.' : `Earlier versions (${versions.length}${history.data.hasMore ? '+' : ''}):` }),
    el('ol', {}, versions.map((v) => el('li', { 'data-testid': 'history-version', title: `written ${new Date(v.createdAt).toLocaleString()}, replaced ${new Date(v.replacedAt).toLocaleString()}`, text: `${v.content ?? ''} — ${timeLabel(v.replacedAt)}` }))),
    el('button', { type: 'button', class: 'link', text: 'close', 'data-testid': 'history-close', onclick: () => ctx.actions.toggleHistory(null) }),
  ]);
}

/** Report someone's message: pick a reason, send it to the group's moderators. */
function renderReportForm(m, report) {
  const reason = el('select', { 'data-testid': 'report-reason', 'aria-label': 'Reason' }, report.reasons.map((r) => el('option', { value: r, text: r })));
  return el('div', { class: 'confirm', 'data-testid': 'report-form' }, [
    el('span', { text: 'Report this message as' }),
    reason,
    el('button', { type: 'button', class: 'danger', text: 'Report', 'data-testid': 'report-submit', onclick: () => report.submit(m, reason.value) }),
    el('button', { type: 'button', text: 'Cancel', onclick: report.cancel }),
  ]);
}

/** Files: thumbnails of images (the one drawn by the sender's browser when there is one) and cards for the rest. */
function renderAttachments(m, ctx) {
  const files = m.attachments.filter((a) => a.id !== undefined || a.url !== undefined);
  if (files.length === 0) return null;
  const images = (m.metadata && typeof m.metadata.images === 'object' && m.metadata.images) || {};
  const thumbnailIds = new Set(Object.values(images).map((i) => i?.thumbnail).filter(Boolean));
  const shown = files.filter((a) => !thumbnailIds.has(a.id));
  return el('div', { class: 'attachments' }, shown.map((a) => {
    const full = a.id === undefined ? { url: a.url, inline: false } : ctx.links.get(a.id);
    const info = a.id === undefined ? undefined : images[a.id];
    if (a.mimeType.startsWith('image/') && a.mimeType !== 'image/svg+xml' && (info !== undefined || full?.inline)) {
      const thumb = info?.thumbnail ? ctx.links.get(info.thumbnail) : full;
      return el('a', { class: 'image', href: full?.url ?? undefined, target: '_blank', rel: 'noopener', title: `${a.name} (${formatSize(a.size)})`, 'data-testid': 'attachment-image', 'data-name': a.name }, [
        el('img', { alt: a.name, src: thumb?.url ?? undefined, loading: 'lazy', ...boxOf(info) }),
      ]);
    }
    return el('div', { class: 'file-card', 'data-testid': 'attachment-file' }, [
      el('span', { class: 'file-icon', text: fileIcon(a.mimeType), 'aria-hidden': 'true' }),
      el('span', { class: 'file-info' }, [el('span', { class: 'file-name', text: a.name, 'data-testid': 'attachment-name' }), el('span', { class: 'file-size', text: formatSize(a.size), 'data-testid': 'attachment-size' })]),
      full?.error
        ? el('span', { class: 'error', text: full.error })
        : el('a', { class: 'download', href: full?.url ?? undefined, download: a.name, rel: 'noopener', text: full ? 'Download' : '…', 'data-testid': 'attachment-download' }),
    ]);
  }));
}

/** The thumbnail's box, known before it loads (no jump while scrolling): at most 240 px wide or tall. */
function boxOf(info) {
  if (!info?.width || !info?.height) return {};
  const scale = Math.min(1, 240 / Math.max(info.width, info.height));
  return { width: Math.round(info.width * scale), height: Math.round(info.height * scale) };
}

function fileIcon(type) {
  if (type.startsWith('image/')) return '🖼';
  if (type.startsWith('video/')) return '🎞';
  if (type.startsWith('audio/')) return '🎵';
  if (type === 'application/pdf') return '📕';
  if (type.includes('zip') || type.includes('compressed')) return '🗜';
  return '📄';
}

export function attachmentSummary(m) {
  const images = (m.metadata && m.metadata.images) || {};
  const thumbs = new Set(Object.values(images).map((i) => i?.thumbnail).filter(Boolean));
  const files = m.attachments.filter((a) => !thumbs.has(a.id));
  if (files.length === 0) return `[${m.type}]`;
  if (files.every((a) => a.mimeType.startsWith('image/'))) return files.length === 1 ? '🖼 Photo' : `🖼 ${files.length} photos`;
  return files.length === 1 ? `📎 ${files[0].name}` : `📎 ${files.length} files`;
}

/** A send not stored yet, saying where it is — and, when refused, why and what can be done. */
function renderPending(entry, ctx) {
  const failed = entry.state === 'failed';
  const content = entry.message.content ?? '';
  const files = (entry.message.attachmentIds ?? []).length;
  return el('div', { class: `msg mine ${failed ? 'failed' : 'pending'}`, dataset: { temp: entry.clientMessageId, testid: 'message' } }, [
    content ? el('div', { class: 'text', text: content, 'data-testid': 'message-text' }) : null,
    files > 0 ? el('div', { class: 'hint', text: `📎 ${files} file${files === 1 ? '' : 's'}` }) : null,
    el('div', { class: 'meta' }, [
      el('span', { class: failed ? 'error' : '', text: pendingText(entry, ctx), 'data-testid': 'pending' }),
      failed ? el('button', { type: 'button', class: 'link', text: 'retry', 'data-testid': 'retry', onclick: () => ctx.actions.retry(entry) }) : null,
      failed ? el('button', { type: 'button', class: 'link', text: 'discard', 'data-testid': 'discard', onclick: () => ctx.actions.discard(entry) }) : null,
    ]),
  ]);
}

function pendingText(entry, ctx) {
  switch (entry.state) {
    case 'queued':
      return ctx.status === 'open' ? 'sending…' : 'not sent yet — waiting for the connection';
    case 'sending':
      return 'sending…';
    case 'waiting': {
      const wait = seconds((entry.retryAt ?? Date.now()) - Date.now());
      const slow = ctx.view?.info?.slowModeSeconds ?? 0;
      if (entry.waitReason === 'RATE_LIMITED') return slow > 0 ? `slow mode (one message every ${slow} s) — sending again in ${wait} s` : `rate limited — sending again in ${wait} s`;
      return `the server could not store it yet — trying again in ${wait} s`;
    }
    default:
      return `not sent: ${whyRefused(entry, ctx)}`;
  }
}

/** The server's reason, in words; "too long" with the count. */
export function whyRefused(entry, ctx) {
  const error = entry.error ?? { code: 'INTERNAL', message: 'unknown error' };
  const length = [...(entry.message.content ?? '')].length;
  if ((error.code === 'VALIDATION_FAILED' || error.code === 'PAYLOAD_TOO_LARGE') && error.details?.field === 'content' && length > ctx.limits.maxContentLength) {
    return `too long (${length.toLocaleString()} / ${ctx.limits.maxContentLength.toLocaleString()} characters)`;
  }
  if (error.code === 'FORBIDDEN') return error.message || 'you may not send here';
  return error.message;
}

/** Receipts come from members' read positions: whoever has read up to this seq has seen it. */
function receiptText(message, ctx) {
  const others = ctx.readers().filter((r) => r.userId !== ctx.me.id);
  const readers = others.filter((r) => r.lastReadSeq >= message.seq);
  if (readers.length === 0) return 'Sent';
  if (readers.length === others.length && others.length > 1) return 'Seen by everyone';
  return `Seen by ${readers.map((r) => ctx.nameOf(r.userId)).join(', ')}`;
}
