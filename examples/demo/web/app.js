// The Parley demo page, on @parley/client: the client keeps the socket, the outbox (in
// localStorage, so unsent messages survive a reload), catch-up and the state; this file
// renders that state and turns clicks into calls. Every piece of user text reaches the page
// through textContent (see dom.js); the server's CSP allows no inline script.

import { createParleyClient, localStorageOutbox } from '@parley/client';
import { $, el } from './dom.js';
import { seconds } from './format.js';
import { attachmentSummary, renderMessageList } from './messages.js';
import { Session } from './session.js';
import { LinkCache, UploadTray } from './uploads.js';
import { ModerationPanel } from './moderation.js';
import { MentionCompleter } from './mentions.js';
import { ThreadPanel } from './threads.js';

const DEFAULT_LIMITS = { maxContentLength: 10_000, maxAttachments: 10, maxAttachmentBytes: 100 * 1024 * 1024 };
const STATUS_TEXT = { open: 'online', connecting: 'connecting…', reconnecting: 'reconnecting…', offline: 'offline', closed: 'signed out' };

const session = new Session();
const ui = {
  client: null,
  me: null,
  limits: DEFAULT_LIMITS,
  users: new Map(), // id → name
  members: new Map(), // conversationId → members (with roles and read positions)
  membersAsked: new Set(),
  online: new Set(),
  current: null,
  editing: null,
  draftBeforeEdit: '',
  replyTo: null,
  confirmDelete: null,
  highlightSeq: null,
  scrollToSeq: null,
  stickToBottom: false,
  keepOffset: null,
  notice: null,
  tray: null,
  links: null,
  moderation: null,
  threads: null,
  mentions: null,
  renderedWindow: null,
  /** The edit history shown under a message: { messageId, data, error }. */
  history: null,
};

/** Whom `@` offers in the open conversation: its members but me, by name. */
const mentionCandidates = () => (ui.members.get(ui.current) ?? []).filter((m) => m.userId !== ui.me.id).map((m) => ({ id: m.userId, name: nameOf(m.userId) }));
const mayMentionEveryone = () => (state().conversations[ui.current]?.info?.capabilities ?? []).includes('mentionEveryone');

// ---------- helpers ----------

const state = () => ui.client.getState();
const nameOf = (userId) => (userId === ui.me?.id ? 'You' : (ui.users.get(userId) ?? userId));
/** Who is online is only known while connected: offline, nobody is shown as online. */
const isOnline = (userId) => state().status === 'open' && (ui.online.has(userId) || state().online[userId] === true);
const otherMember = (conversationId) => (ui.members.get(conversationId) ?? []).find((m) => m.userId !== ui.me.id);
const currentKey = () => `parley-demo-current:${ui.me.id}`;

function titleOf(view) {
  const info = view?.info;
  if (!info) return '…';
  if (info.type === 'group') return info.name ?? 'Group';
  const other = otherMember(info.id);
  return other ? nameOf(other.userId) : 'Direct chat';
}

function preview(message) {
  if (!message) return 'No messages yet';
  if (message.deletedForEveryone) return 'Message deleted';
  const who = message.type === 'system' ? '' : `${nameOf(message.senderId)}: `;
  return `${who}${message.content || attachmentSummary(message)}`;
}

/** Authenticated REST calls the client has no method for (search, new conversations). */
async function api(method, path, body) {
  const token = await session.getToken();
  const res = await fetch(`/api${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(data.error?.message ?? res.statusText), { code: data.error?.code, status: res.status });
  return data;
}

/** A line above the composer: what went wrong (default), or a plain confirmation (`kind: 'info'`). */
function notify(text, kind = 'error') {
  ui.notice = text;
  ui.noticeKind = kind;
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => {
    ui.notice = null;
    render();
  }, 6000);
  render();
}

function explain(error) {
  if (error?.code === 'RATE_LIMITED' && error.retryAfterMs !== undefined) return `Rate limited: wait ${seconds(error.retryAfterMs)} s and try again`;
  return error?.message ?? String(error);
}

// ---------- members and presence ----------

async function loadMembers(conversationId, force = false) {
  if (!force && ui.membersAsked.has(conversationId)) return;
  ui.membersAsked.add(conversationId);
  try {
    const members = await ui.client.listMembers(conversationId);
    for (const m of members) if (m.user) ui.users.set(m.userId, m.user.name);
    ui.members.set(conversationId, members);
  } catch {
    ui.membersAsked.delete(conversationId);
  }
  scheduleRender();
}

async function refreshPresence() {
  const ids = new Set();
  for (const members of ui.members.values()) for (const m of members) if (m.userId !== ui.me.id) ids.add(m.userId);
  if (ids.size === 0) return;
  try {
    ui.online = new Set(await ui.client.getPresence([...ids]));
  } catch {
    // Offline again: the next connect asks once more.
  }
  scheduleRender();
}

async function refreshDirectory() {
  const people = await fetch('/demo/users').then((r) => r.json()).catch(() => []);
  for (const u of people) ui.users.set(u.id, u.name);
  return people;
}

// ---------- rendering ----------

let frame = 0;
function scheduleRender() {
  if (frame !== 0) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    render();
  });
}

function render() {
  if (ui.client === null) return;
  const s = state();
  const waiting = s.outbox.length;
  const status = STATUS_TEXT[s.status] ?? s.status;
  $('#conn-status').textContent = s.status !== 'open' && waiting > 0 ? `${status} — ${waiting} unsent` : status;
  $('#conn-status').dataset.status = s.status;
  $('.me .dot').classList.toggle('online', s.status === 'open');
  document.body.classList.toggle('conversation-open', ui.current !== null);
  renderConversationList(s);
  renderHeader(s);
  renderPins(s);
  renderMessages(s);
  renderTyping(s);
  renderComposer();
  ui.moderation?.render(s);
  ui.threads?.render(s);
  for (const id of s.conversationIds) void loadMembers(id);
  markReadSoon(s);
}

function renderConversationList(s) {
  const items = s.conversationIds.map((id) => s.conversations[id]).filter((v) => v?.info);
  $('#conversation-list').replaceChildren(
    ...(items.length === 0 ? [el('li', { class: 'empty', text: 'No conversations yet: start one above.' })] : []),
    ...items.map((view) => {
      const info = view.info;
      const other = info.type === 'direct' ? otherMember(info.id) : null;
      const typing = s.typing[info.id] ?? [];
      return el('li', { class: info.id === ui.current ? 'active' : '', dataset: { id: info.id, testid: 'conversation' }, onclick: () => openConversation(info.id) }, [
        el('span', { class: `dot ${other ? (isOnline(other.userId) ? 'online' : '') : 'none'}`, 'data-testid': 'online-dot', title: other && isOnline(other.userId) ? 'online' : '' }),
        el('span', { class: 'title', text: `${titleOf(view)}${info.archived ? ' (archived)' : ''}${info.muted ? ' 🔕' : ''}`, 'data-testid': 'conversation-title' }),
        view.unreadCount > 0 && info.id !== ui.current
          ? el('span', { class: 'badges' }, [
              view.mentionCount > 0 ? el('span', { class: 'badge mention', text: `@${view.mentionCount}`, title: 'mentions of you', 'data-testid': 'mention-badge' }) : null,
              el('span', { class: 'badge', text: String(view.unreadCount), 'data-testid': 'unread' }),
            ])
          : el('span'),
        el('span', { class: 'preview', text: typing.length > 0 ? `${typing.map(nameOf).join(', ')} typing…` : preview(view.lastMessage), 'data-testid': 'preview' }),
      ]);
    }),
  );
}

function renderHeader(s) {
  const header = $('#conv-header');
  const view = s.conversations[ui.current];
  if (!ui.current || !view) {
    header.replaceChildren(el('span', { class: 'placeholder', text: 'Pick a conversation, or start one.' }));
    return;
  }
  const info = view.info;
  const members = ui.members.get(ui.current) ?? [];
  const other = info?.type === 'direct' ? otherMember(ui.current) : null;
  const slow = info?.slowModeSeconds > 0 ? el('span', { class: 'slow-mode', text: `🐢 slow mode: one message every ${info.slowModeSeconds} s`, 'data-testid': 'slow-mode-notice' }) : null;
  const parts = [
    el('button', { type: 'button', class: 'back', text: '‹', title: 'Back to the conversations', 'aria-label': 'Back', 'data-testid': 'back', onclick: closeConversation }),
    el('span', { class: `dot ${other ? (isOnline(other.userId) ? 'online' : '') : 'none'}` }),
    el('span', { class: 'conv-title', text: titleOf(view), 'data-testid': 'conv-title' }),
    el('span', {
      class: 'sub',
      'data-testid': 'conv-sub',
      text:
        info?.type === 'group'
          ? `${members.length} members${s.status === 'open' ? `, ${members.filter((m) => m.userId === ui.me.id || isOnline(m.userId)).length} online` : ''}`
          : s.status !== 'open' ? '' : other && isOnline(other.userId) ? 'online' : 'offline',
    }),
    slow,
    info?.type === 'group' ? el('button', { type: 'button', class: 'link members-toggle', text: ui.moderation.toggleLabel(ui.current), 'data-testid': 'members-toggle', onclick: () => ui.moderation.toggle() }) : null,
  ].filter(Boolean);
  header.replaceChildren(...parts);
}

/** The conversation's pins, newest first: click one to jump to it; × unpins. Kept live by the client. */
function renderPins(s) {
  const bar = $('#pins-bar');
  const pins = ui.current ? (s.pins[ui.current] ?? []) : [];
  bar.classList.toggle('hidden', pins.length === 0);
  if (pins.length === 0) {
    bar.replaceChildren();
    return;
  }
  const canPin = (s.conversations[ui.current]?.info?.capabilities ?? []).includes('pin');
  bar.replaceChildren(
    el('span', { class: 'pins-title', text: `📌 ${pins.length} pinned`, 'data-testid': 'pins-count' }),
    ...pins.map((p) =>
      el('div', { class: 'pin', dataset: { id: p.messageId, testid: 'pin' } }, [
        el('span', {
          class: 'pin-text',
          text: p.message.deletedForEveryone ? 'Message deleted' : (p.message.content ?? attachmentSummary(p.message)),
          title: 'Show it in the conversation',
          'data-testid': 'pin-text',
          onclick: () => void reach(p.conversationId, p.message.seq),
        }),
        el('span', { class: 'pin-by', text: `by ${nameOf(p.pinnedBy)}${p.expiresAt ? `, until ${new Date(p.expiresAt).toLocaleString()}` : ''}` }),
        canPin ? el('button', { type: 'button', class: 'link', text: '×', title: 'Unpin', 'aria-label': 'Unpin', 'data-testid': 'pin-remove', onclick: () => messageActions.pin(p.message, false) }) : null,
      ]),
    ),
  );
}

function renderMessages(s) {
  const box = $('#messages');
  const window = ui.current ? s.windows[ui.current] : undefined;
  if (window === undefined) {
    if (ui.renderedWindow !== null) box.replaceChildren();
    ui.renderedWindow = null;
    $('#jump-latest').classList.add('hidden');
    return;
  }
  const view = s.conversations[ui.current];
  // Re-render only when something shown changed (a render rebuilds the list).
  const key = [window, view?.readPositions, view?.info, ui.members.get(ui.current), ui.confirmDelete, ui.highlightSeq, ui.linksVersion, s.status, ui.tick, ui.moderation?.version, s.threadUnread, s.pins[ui.current], ui.history];
  if (ui.renderedWindow !== null && ui.renderedWindow.length === key.length && ui.renderedWindow.every((v, i) => v === key[i]) && ui.scrollToSeq === null) return;
  const ticking = window.pending.some((e) => e.state === 'waiting');
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const before = { height: box.scrollHeight, top: box.scrollTop };
  ui.renderedWindow = key;
  const members = ui.members.get(ui.current) ?? [];
  box.replaceChildren(
    ...renderMessageList({
      me: ui.me,
      nameOf,
      window,
      view,
      limits: ui.limits,
      links: ui.links,
      status: s.status,
      confirmDelete: ui.confirmDelete,
      highlightSeq: ui.highlightSeq,
      threadUnread: s.threadUnread,
      pinned: new Set((s.pins[ui.current] ?? []).map((p) => p.messageId)),
      history: ui.history,
      readers: () => members.map((m) => ({ userId: m.userId, lastReadSeq: Math.max(m.lastReadSeq, view?.readPositions[m.userId] ?? 0) })),
      actions: messageActions,
    }),
  );
  if (ui.scrollToSeq !== null) {
    box.querySelector(`[data-seq="${ui.scrollToSeq}"]`)?.scrollIntoView({ block: 'center' });
    ui.scrollToSeq = null;
  } else if (ui.keepOffset !== null) {
    box.scrollTop = box.scrollHeight - ui.keepOffset;
    ui.keepOffset = null;
  } else if (atBottom || ui.stickToBottom) {
    box.scrollTop = box.scrollHeight;
    ui.stickToBottom = false;
  } else {
    box.scrollTop = before.top;
  }
  updateJumpLatest();
  if (ticking) {
    clearTimeout(renderMessages.timer);
    renderMessages.timer = setTimeout(() => {
      ui.tick = Date.now();
      scheduleRender();
    }, 1000);
  }
}

function updateJumpLatest() {
  const box = $('#messages');
  const far = box.scrollHeight - box.scrollTop - box.clientHeight > 200;
  $('#jump-latest').classList.toggle('hidden', !far || ui.current === null);
}

function renderTyping(s) {
  const names = (s.typing[ui.current] ?? []).map(nameOf);
  $('#typing').textContent = names.length === 0 ? '' : `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} typing…`;
}

function renderComposer() {
  $('#composer').classList.toggle('hidden', ui.current === null);
  const input = $('#composer-input');
  const length = [...input.value].length;
  const max = ui.limits.maxContentLength;
  const counter = $('#char-counter');
  const over = length > max;
  counter.textContent = over ? `Too long: ${length.toLocaleString()} / ${max.toLocaleString()} characters` : `${length.toLocaleString()} / ${max.toLocaleString()}`;
  counter.classList.toggle('hidden', length < max * 0.8);
  counter.classList.toggle('over', over);
  $('#send').disabled = over;
  // A muted member reads but cannot send: say so before they try.
  const me = (ui.members.get(ui.current) ?? []).find((m) => m.userId === ui.me.id);
  const mutedUntil = me?.silencedUntil && me.silencedUntil > new Date().toISOString() ? me.silencedUntil : null;
  const restriction = $('#restriction');
  restriction.textContent = mutedUntil === null ? '' : `A moderator muted you in this group${mutedUntil.startsWith('9999') ? '' : ` until ${new Date(mutedUntil).toLocaleString()}`}: you can read, not send.`;
  restriction.classList.toggle('hidden', mutedUntil === null);
  const notice = $('#notice');
  notice.textContent = ui.notice ?? '';
  notice.classList.toggle('hidden', ui.notice === null);
  notice.classList.toggle('info', ui.noticeKind === 'info');
  renderContext();
  renderTray();
}

function renderContext() {
  const box = $('#compose-context');
  const target = ui.editing ?? ui.replyTo;
  if (!target) {
    box.classList.add('hidden');
    return;
  }
  box.classList.remove('hidden');
  box.replaceChildren(
    el('span', { text: ui.editing ? 'Editing your message — Esc cancels' : `Replying to ${nameOf(target.senderId)}: ${target.content ?? attachmentSummary(target)}` }),
    el('button', { type: 'button', class: 'link', text: 'cancel', 'data-testid': 'cancel-context', onclick: cancelContext }),
  );
}

function renderTray() {
  const tasks = ui.current ? ui.tray.forConversation(ui.current) : [];
  const tray = $('#upload-tray');
  tray.classList.toggle('hidden', tasks.length === 0);
  tray.replaceChildren(
    ...tasks.map((t) =>
      el('div', { class: `upload ${t.state}`, 'data-testid': 'upload' }, [
        t.previewUrl ? el('img', { src: t.previewUrl, alt: '', class: 'upload-thumb', 'data-testid': 'upload-preview' }) : el('span', { class: 'upload-thumb file', text: '📄' }),
        el('div', { class: 'upload-info' }, [
          el('span', { class: 'upload-name', text: t.name }),
          t.state === 'failed'
            ? el('span', { class: 'error', text: t.error, 'data-testid': 'upload-error' })
            : el('progress', { max: t.size, value: t.sent, 'data-testid': 'upload-progress', 'data-state': t.state }),
        ]),
        el('button', { type: 'button', class: 'link', text: '×', title: 'Remove', 'aria-label': `Remove ${t.name}`, onclick: () => ui.tray.remove(t.key) }),
      ]),
    ),
  );
}

let readTimer = null;
/** Reads what is on screen: the open conversation, when the page is visible. */
function markReadSoon(s) {
  const view = s.conversations[ui.current];
  if (!view || view.unreadCount === 0 || document.visibilityState !== 'visible' || s.status !== 'open') return;
  if (readTimer !== null) return;
  readTimer = setTimeout(() => {
    readTimer = null;
    if (ui.current === view.id) ui.client.markAsRead(view.id).catch(() => {});
  }, 250);
}

// ---------- conversations ----------

async function openConversation(conversationId, { aroundSeq } = {}) {
  const previous = ui.current;
  if (previous !== null && previous !== conversationId) {
    void ui.client.closeConversation(previous);
    ui.moderation?.close();
  }
  ui.threads?.follow(conversationId);
  if (previous !== conversationId) {
    ui.mentions?.reset();
    ui.editing = null;
    ui.replyTo = null;
    ui.confirmDelete = null;
    ui.highlightSeq = null;
    $('#composer-input').value = '';
  }
  ui.current = conversationId;
  ui.stickToBottom = aroundSeq === undefined;
  sessionStorage.setItem(currentKey(), conversationId);
  render();
  if (previous !== conversationId) ui.history = null;
  void ui.client.loadPins(conversationId).catch((error) => notify(`Could not load the pinned messages: ${explain(error)}`));
  try {
    await ui.client.openConversation(conversationId);
  } catch (error) {
    notify(`Could not open the conversation: ${explain(error)}`);
  }
  void loadMembers(conversationId, true);
  // The unread counts of the threads followed here (pushed live after this).
  ui.client.loadThreadUnread(conversationId).catch(() => {});
  if (aroundSeq !== undefined) await reach(conversationId, aroundSeq);
  if (ui.current === conversationId && matchMedia('(min-width: 701px)').matches) $('#composer-input').focus();
  scheduleRender();
}

/**
 * Jumps to a search hit: loads older pages until its seq is held. The window stays one
 * contiguous run up to the newest message, so everything after the hit stays reachable by
 * scrolling (and "Jump to latest").
 */
async function reach(conversationId, seq) {
  for (let page = 0; page < 100; page += 1) {
    const window = state().windows[conversationId];
    if (!window || window.messages.length === 0 || window.messages[0].seq <= seq || !window.hasMoreBefore) break;
    await ui.client.loadOlderMessages(conversationId, 100);
  }
  ui.highlightSeq = seq;
  ui.scrollToSeq = seq;
  render();
}

function closeConversation() {
  if (ui.current !== null) void ui.client.closeConversation(ui.current);
  ui.moderation?.close();
  ui.threads?.close();
  ui.current = null;
  ui.editing = null;
  ui.replyTo = null;
  sessionStorage.removeItem(currentKey());
  render();
}

let loadingOlder = false;
async function loadOlder() {
  const conversationId = ui.current;
  if (!conversationId || loadingOlder || !state().windows[conversationId]?.hasMoreBefore) return;
  loadingOlder = true;
  const box = $('#messages');
  try {
    ui.keepOffset = box.scrollHeight - box.scrollTop;
    await ui.client.loadOlderMessages(conversationId, 50);
  } catch (error) {
    ui.keepOffset = null;
    notify(`Could not load older messages: ${explain(error)}`);
  } finally {
    loadingOlder = false;
  }
  render();
}

// ---------- actions on messages ----------

const messageActions = {
  reply(m) {
    ui.editing = null;
    ui.replyTo = m;
    render();
    $('#composer-input').focus();
  },
  react(m, emoji) {
    const mine = m.reactions.find((r) => r.emoji === emoji)?.userIds.includes(ui.me.id);
    (mine ? ui.client.removeReaction(m.id, emoji) : ui.client.react(m.id, emoji)).catch((e) => notify(explain(e)));
  },
  edit(m) {
    const input = $('#composer-input');
    if (!ui.editing) ui.draftBeforeEdit = input.value;
    ui.replyTo = null;
    ui.editing = m;
    input.value = m.content ?? '';
    render();
    input.focus();
  },
  pin(m, pin) {
    (pin ? ui.client.pinMessage(m.id) : ui.client.unpinMessage(m.id)).catch((e) => notify(explain(e)));
  },
  /** Shows (or hides, with null or a second click) a message's earlier versions. */
  toggleHistory(m) {
    if (m === null || ui.history?.messageId === m.id) {
      ui.history = null;
      render();
      return;
    }
    const shown = { messageId: m.id, data: null, error: null };
    ui.history = shown;
    render();
    ui.client
      .getMessageHistory(m.id, { limit: 100 })
      .then((data) => {
        if (ui.history === shown) ui.history = { ...shown, data };
      })
      .catch((e) => {
        if (ui.history === shown) ui.history = { ...shown, error: explain(e) };
      })
      .finally(render);
  },
  askDelete(m) {
    ui.confirmDelete = m.id;
    render();
  },
  cancelDelete() {
    ui.confirmDelete = null;
    render();
  },
  remove(m, forEveryone) {
    ui.confirmDelete = null;
    ui.client.deleteMessage(m.id, { forEveryone }).catch((e) => notify(explain(e)));
    render();
  },
  retry(entry) {
    ui.client.retrySend(entry.clientMessageId).catch(() => {});
  },
  discard(entry) {
    ui.client.discardSend(entry.clientMessageId);
  },
  loadOlder,
  report: null,
  openThread: (rootId) => void ui.threads?.open(rootId),
};

// ---------- composer ----------

/** Esc: stop editing (bring back what was typed before, so Enter cannot post the old text) or replying. */
function cancelContext() {
  if (ui.editing) $('#composer-input').value = ui.draftBeforeEdit;
  ui.editing = null;
  ui.replyTo = null;
  ui.draftBeforeEdit = '';
  render();
}

async function submitComposer(event) {
  event.preventDefault();
  const conversationId = ui.current;
  if (!conversationId) return;
  const input = $('#composer-input');
  const content = input.value.trim();
  const max = ui.limits.maxContentLength;
  if ([...content].length > max) {
    notify(`Too long: ${[...content].length.toLocaleString()} characters, at most ${max.toLocaleString()}`);
    return;
  }
  if (ui.editing) {
    const message = ui.editing;
    if (content === '') return;
    input.value = ui.draftBeforeEdit;
    ui.editing = null;
    ui.draftBeforeEdit = '';
    render();
    if (content !== message.content) ui.client.editMessage(message.id, content).catch((e) => notify(`Not edited: ${explain(e)}`));
    return;
  }
  const uploads = ui.tray.forConversation(conversationId);
  if (content === '' && uploads.length === 0) return;
  input.value = '';
  const replyTo = ui.replyTo;
  ui.replyTo = null;
  stopTyping();
  let files = null;
  if (uploads.length > 0) {
    $('#send').textContent = 'Uploading…';
    try {
      files = await ui.tray.takeReady(conversationId);
    } catch (error) {
      input.value = content;
      ui.replyTo = replyTo;
      notify(error.message);
      return;
    } finally {
      $('#send').textContent = 'Send';
    }
  }
  const message = {
    conversationId,
    ...(content === '' ? {} : { content }),
    ...(replyTo ? { replyToId: replyTo.id } : {}),
    ...(content === '' ? {} : ui.mentions.mentionsIn(content)),
    ...(files === null ? {} : { type: files.type, attachmentIds: files.attachmentIds, ...(Object.keys(files.images).length > 0 ? { metadata: { images: files.images } } : {}) }),
  };
  ui.mentions.reset();
  // A refusal shows on the pending message itself (with retry and discard).
  ui.client.sendMessage(message).catch(() => {});
  files?.release();
  ui.stickToBottom = true;
  render();
}

function stopTyping() {
  if (ui.current && state().status === 'open') ui.client.stopTyping(ui.current).catch(() => {});
}

// ---------- new chats and search ----------

async function showNewChat(kind) {
  const panel = $('#new-chat-panel');
  if (!panel.classList.contains('hidden') && panel.dataset.kind === kind) return panel.classList.add('hidden');
  panel.dataset.kind = kind;
  const people = (await refreshDirectory()).filter((u) => u.id !== ui.me.id);
  panel.classList.remove('hidden');
  if (people.length === 0) return panel.replaceChildren(el('span', { class: 'hint', text: 'Nobody else yet: open this page in another browser and sign in with another name.' }));
  if (kind === 'direct') {
    panel.replaceChildren(
      el('strong', { text: 'Chat with…' }),
      ...people.map((u) =>
        el('button', {
          type: 'button',
          text: u.name,
          'data-testid': 'pick-user',
          onclick: async () => {
            try {
              const conversation = await api('POST', '/conversations/direct', { recipientId: u.id });
              panel.classList.add('hidden');
              await ui.client.loadConversations();
              await openConversation(conversation.id);
            } catch (error) {
              notify(explain(error));
            }
          },
        }),
      ),
    );
    return;
  }
  const name = el('input', { placeholder: 'Group name', 'data-testid': 'group-name', maxlength: 100 });
  const boxes = people.map((u) => el('label', {}, [el('input', { type: 'checkbox', value: u.id, 'data-testid': 'group-member' }), u.name]));
  panel.replaceChildren(
    el('strong', { text: 'New group' }),
    name,
    ...boxes,
    el('button', {
      type: 'button',
      text: 'Create group',
      'data-testid': 'create-group',
      onclick: async () => {
        const memberIds = boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
        try {
          const conversation = await api('POST', '/conversations/group', { name: name.value, memberIds });
          panel.classList.add('hidden');
          await ui.client.loadConversations();
          await openConversation(conversation.id);
        } catch (error) {
          notify(explain(error));
        }
      },
    }),
  );
}

async function search(event) {
  event.preventDefault();
  const q = $('#search-input').value.trim();
  const box = $('#search-results');
  if (!q) return box.classList.add('hidden');
  const result = await api('GET', `/conversations/messages/search?q=${encodeURIComponent(q)}&limit=20`).catch((error) => ({ items: [], total: 0, error }));
  box.classList.remove('hidden');
  box.replaceChildren(
    el('div', { class: 'hint', text: result.error ? `Search failed: ${explain(result.error)}` : `${result.total} result${result.total === 1 ? '' : 's'} for “${q}”` }),
    ...result.items.map(({ message }) =>
      el('div', {
        class: 'search-hit',
        'data-testid': 'search-hit',
        onclick: () => {
          box.classList.add('hidden');
          void openConversation(message.conversationId, { aroundSeq: message.seq });
        },
      }, [
        el('div', { class: 'where', text: `${titleOf(state().conversations[message.conversationId])} · ${nameOf(message.senderId)}` }),
        el('div', { text: message.content ?? '' }),
      ]),
    ),
  );
}

// ---------- sign-in and start ----------

async function showLogin(error) {
  $('#login').classList.remove('hidden');
  $('#app').classList.add('hidden');
  $('#login-error').textContent = error ?? '';
  const users = await fetch('/demo/users').then((r) => r.json()).catch(() => []);
  $('#known-users').replaceChildren(...users.map((u) => el('button', { type: 'button', text: u.name, onclick: () => signIn(u.name) })));
  $('#login-name').focus();
}

async function signIn(name) {
  try {
    start(await session.signIn(name));
  } catch (error) {
    $('#login-error').textContent = error.message;
  }
}

function start(user) {
  ui.me = user;
  ui.users.set(user.id, user.name);
  $('#me').textContent = user.name;
  $('#login').classList.add('hidden');
  $('#app').classList.remove('hidden');
  const client = createParleyClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/chat`,
    restUrl: `${location.origin}/api`,
    getToken: session.getToken,
    storage: localStorageOutbox({ key: `parley-demo-outbox:${user.id}` }),
    reconnect: { initialDelayMs: 300, maxDelayMs: 4_000 },
  });
  ui.client = client;
  ui.tray = new UploadTray({ client, limits: ui.limits, onChange: scheduleRender });
  ui.links = new LinkCache(client, () => {
    ui.linksVersion = (ui.linksVersion ?? 0) + 1;
    scheduleRender();
  });
  ui.moderation = new ModerationPanel({ client, ui, nameOf, isOnline, notify, explain, onChange: scheduleRender, reloadMembers: (id) => loadMembers(id, true) });
  messageActions.report = ui.moderation.reportAction();
  ui.threads = new ThreadPanel({ client, ui, nameOf, notify, explain, candidates: mentionCandidates, everyone: mayMentionEveryone, onChange: scheduleRender });
  ui.mentions ??= new MentionCompleter({ input: $('#composer-input'), candidates: mentionCandidates, everyone: mayMentionEveryone });
  client.subscribe(scheduleRender);
  client.on('disconnected', ({ code }) => {
    if (code === 4401) session.refused();
  });
  client.on('gave_up', (error) => {
    session.signOut();
    client.close();
    ui.client = null;
    void showLogin(`Signed out: ${error.message}`);
  });
  client.on('connected', () => {
    void refreshDirectory().then(scheduleRender);
    void refreshPresence();
  });
  client.on('user_online', ({ userId }) => ui.online.add(userId));
  client.on('user_offline', ({ userId }) => ui.online.delete(userId));
  client.on('conversation_updated', ({ conversationId, updateType, data }) => {
    if (updateType === 'member_removed' && data?.userId === ui.me.id && conversationId === ui.current) {
      closeConversation();
      notify(data.banned ? 'A moderator banned you from that group.' : 'You were removed from that group.');
    }
    if (['created', 'members_added', 'member_removed', 'member_left', 'role_changed', 'member_banned', 'member_unbanned', 'member_silenced', 'member_unsilenced'].includes(updateType)) void loadMembers(conversationId, true).then(refreshPresence);
    if (conversationId === ui.current && updateType === 'deleted') closeConversation();
  });
  // The list comes over REST: shown even while the socket cannot get through.
  client.loadConversations().catch(() => {});
  const remembered = sessionStorage.getItem(currentKey());
  if (remembered) void openConversation(remembered);
  render();
}

function signOut() {
  ui.client?.close();
  session.signOut();
  location.reload();
}

// ---------- wiring ----------

$('#login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void signIn($('#login-name').value);
});
$('#logout').addEventListener('click', signOut);
$('#composer').addEventListener('submit', submitComposer);
const input = $('#composer-input');
input.addEventListener('input', () => {
  if (ui.current && !ui.editing) ui.client.notifyTyping(ui.current);
  renderComposer();
});
input.addEventListener('blur', stopTyping);
input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) submitComposer(event);
  if (event.key === 'Escape') cancelContext();
});
input.addEventListener('paste', (event) => {
  const files = [...(event.clipboardData?.files ?? [])];
  if (files.length === 0 || !ui.current) return;
  event.preventDefault();
  ui.tray.add(ui.current, files);
});
$('#attach').addEventListener('click', () => $('#file-input').click());
$('#file-input').addEventListener('change', (event) => {
  if (ui.current) ui.tray.add(ui.current, [...event.target.files]);
  event.target.value = '';
});
const chat = $('#chat');
chat.addEventListener('dragover', (event) => {
  if (!ui.current || !event.dataTransfer?.types.includes('Files')) return;
  event.preventDefault();
  chat.classList.add('dropping');
});
chat.addEventListener('dragleave', (event) => {
  if (!chat.contains(event.relatedTarget)) chat.classList.remove('dropping');
});
chat.addEventListener('drop', (event) => {
  chat.classList.remove('dropping');
  const files = [...(event.dataTransfer?.files ?? [])];
  if (!ui.current || files.length === 0) return;
  event.preventDefault();
  ui.tray.add(ui.current, files);
});
$('#messages').addEventListener('scroll', () => {
  if ($('#messages').scrollTop < 60) void loadOlder();
  updateJumpLatest();
});
$('#jump-latest').addEventListener('click', () => {
  ui.highlightSeq = null;
  const box = $('#messages');
  box.scrollTop = box.scrollHeight;
  render();
});
$('#search-form').addEventListener('submit', search);
$('#new-direct').addEventListener('click', () => showNewChat('direct'));
$('#new-group').addEventListener('click', () => showNewChat('group'));
document.addEventListener('visibilitychange', () => ui.client && render());

const config = await fetch('/demo/config').then((r) => r.json()).catch(() => null);
if (config?.limits) ui.limits = { ...DEFAULT_LIMITS, ...config.limits };
if (!config?.uploads) $('#attach').classList.add('hidden');
if (session.name && session.user) start(session.user);
else if (session.name) void signIn(session.name);
else void showLogin();
