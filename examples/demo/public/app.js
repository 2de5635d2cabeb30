// The Parley demo client: plain browser JavaScript, no build step. Every piece of user text
// is put on the page with textContent, never as HTML.

const $ = (selector) => document.querySelector(selector);
const QUICK_EMOJI = ['👍', '❤️', '😂', '🎉', '😮', '😢'];
const PAGE = 30;

/** Builds an element: el('div', { class: 'x', dataset: { id } , onclick }, [children or text]). */
function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of [].concat(children)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const state = {
  token: null,
  me: null,
  users: new Map(), // id → name
  online: new Set(),
  conversations: new Map(), // id → list item
  members: new Map(), // conversationId → [{ userId, role, lastReadSeq }]
  messages: new Map(), // conversationId → Map(id → message)
  hasMoreBefore: new Map(),
  lastSeq: new Map(), // conversationId → highest seq seen (for sync)
  changeCursor: new Map(), // conversationId → the change cursor (`version`) the last sync returned
  typing: new Map(), // conversationId → Set(userId)
  current: null,
  replyTo: null,
  editing: null,
  pending: new Map(), // tempId → { conversationId, data }
};

// ---------- REST ----------

async function api(method, path, body) {
  const res = await fetch(`/api${path}`, {
    method,
    headers: { authorization: `Bearer ${state.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(data.error?.message ?? res.statusText), { code: data.error?.code, status: res.status });
  return data;
}

// ---------- WebSocket with reconnect, resend and catch-up ----------

const socket = {
  ws: null,
  counter: 0,
  waiting: new Map(), // id → { resolve, reject }
  retry: 0,
  closedByUs: false,

  connect() {
    this.closedByUs = false;
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/chat`;
    const ws = new WebSocket(url, ['parley', `bearer.${state.token}`]);
    this.ws = ws;
    setStatus('connecting…');
    ws.addEventListener('message', (event) => this.receive(JSON.parse(event.data)));
    ws.addEventListener('close', (event) => {
      for (const { reject } of this.waiting.values()) reject(new Error('disconnected'));
      this.waiting.clear();
      if (this.closedByUs) return;
      if (event.code === 4401) {
        setStatus('signed out');
        return logout();
      }
      const delay = Math.min(5000, 300 * 2 ** this.retry++);
      setStatus(`offline — retrying in ${Math.round(delay / 100) / 10}s`);
      setTimeout(() => this.connect(), delay);
    });
  },

  close() {
    this.closedByUs = true;
    this.ws?.close();
  },

  /** Sends a frame with an id; resolves with the reply's data or rejects with its error. */
  request(type, data = {}) {
    return new Promise((resolve, reject) => {
      if (this.ws?.readyState !== WebSocket.OPEN) return reject(new Error('offline'));
      const id = `c${++this.counter}`;
      this.waiting.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ type, id, data }));
    });
  },

  receive(frame) {
    if (frame.replyTo !== undefined && this.waiting.has(frame.replyTo)) {
      const waiter = this.waiting.get(frame.replyTo);
      this.waiting.delete(frame.replyTo);
      if (frame.type === 'error') waiter.reject(Object.assign(new Error(frame.data.message), frame.data));
      else waiter.resolve(frame.data);
      return;
    }
    handlers[frame.type]?.(frame.data);
  },
};

const handlers = {
  async connected() {
    socket.retry = 0;
    setStatus('online');
    await loadConversations();
    await catchUp();
    if (state.current) await socket.request('join_conversation', { conversationId: state.current }).then(onJoined).catch(() => {});
    for (const [tempId, { data }] of state.pending) sendFrame(tempId, data);
  },
  new_message({ message: sent }) {
    const message = wholeMessage(sent);
    addMessages(message.conversationId, [message]);
    bumpConversation(message, message.senderId !== state.me.id && message.type !== 'system');
  },
  message_edited({ message }) {
    addMessages(message.conversationId, [message]);
  },
  message_deleted({ conversationId, messageId, forEveryone }) {
    const messages = state.messages.get(conversationId);
    if (!messages?.has(messageId)) return;
    if (forEveryone) messages.set(messageId, { ...messages.get(messageId), deletedForEveryone: true, content: null, attachments: [], reactions: [] });
    else messages.delete(messageId);
    if (conversationId === state.current) renderMessages();
  },
  message_reaction_updated({ conversationId, messageId, reactions }) {
    const messages = state.messages.get(conversationId);
    const message = messages?.get(messageId);
    if (!message) return;
    messages.set(messageId, { ...message, reactions });
    if (conversationId === state.current) renderMessages();
  },
  messages_read({ conversationId, userId, lastReadSeq }) {
    const member = state.members.get(conversationId)?.find((m) => m.userId === userId);
    if (member) member.lastReadSeq = Math.max(member.lastReadSeq, lastReadSeq);
    if (userId === state.me.id) {
      const item = state.conversations.get(conversationId);
      if (item) item.unreadCount = 0;
      renderConversationList();
    }
    if (conversationId === state.current) renderMessages();
  },
  async conversation_updated({ conversationId, updateType }) {
    if (['created', 'members_added', 'member_removed', 'member_left', 'role_changed', 'updated'].includes(updateType)) state.members.delete(conversationId);
    await loadConversations();
    if (conversationId === state.current) {
      if (!state.conversations.has(conversationId)) return closeConversation();
      renderHeader();
    }
  },
  user_typing({ conversationId, userId }) {
    if (userId === state.me.id) return;
    setTyping(conversationId, userId, true);
  },
  user_stopped_typing({ conversationId, userId }) {
    setTyping(conversationId, userId, false);
  },
  user_online({ userId }) {
    state.online.add(userId);
    renderConversationList();
    renderHeader();
  },
  user_offline({ userId }) {
    state.online.delete(userId);
    renderConversationList();
    renderHeader();
  },
  /** The server may have missed events for us (a broker outage): catch up from our cursors. */
  resync() {
    void loadConversations().then(catchUp);
  },
};

/**
 * After a reconnect (or a `resync`): everything missed in the conversations already on
 * screen — new messages from the last seq held, changes from the last change cursor, each
 * asked for again while the server says more follow.
 */
async function catchUp() {
  for (let round = 0; round < 50; round++) {
    const since = {};
    for (const [conversationId, seq] of state.lastSeq) since[conversationId] = { seq, version: state.changeCursor.get(conversationId) ?? seq };
    if (Object.keys(since).length === 0) return;
    const result = await socket.request('sync', { since }).catch(() => null);
    if (result === null) return;
    let more = false;
    for (const [conversationId, entry] of Object.entries(result.conversations)) {
      for (const id of entry.hiddenIds) state.messages.get(conversationId)?.delete(id);
      addMessages(conversationId, [...entry.messages, ...entry.changes]);
      state.changeCursor.set(conversationId, entry.version);
      more ||= entry.hasMore || entry.hasMoreChanges;
    }
    if (!more) return;
  }
}

// ---------- conversations ----------

async function loadConversations() {
  const [active, archived, online] = await Promise.all([
    api('GET', '/conversations?limit=100'),
    api('GET', '/conversations?limit=100&archived=true'),
    fetch('/demo/online').then((r) => r.json()),
  ]);
  state.online = new Set(online);
  state.conversations = new Map([...active.items, ...archived.items].map((c) => [c.id, c]));
  await Promise.all([...state.conversations.keys()].map((id) => loadMembers(id)));
  renderConversationList();
}

async function loadMembers(conversationId) {
  if (state.members.has(conversationId)) return state.members.get(conversationId);
  const members = await api('GET', `/conversations/${encodeURIComponent(conversationId)}/members`).catch(() => []);
  for (const m of members) if (m.user) state.users.set(m.userId, m.user.name);
  state.members.set(conversationId, members);
  return members;
}

const nameOf = (userId) => (userId === state.me?.id ? 'You' : (state.users.get(userId) ?? userId));
const otherMember = (conversationId) => (state.members.get(conversationId) ?? []).find((m) => m.userId !== state.me.id);

function titleOf(conversation) {
  if (conversation.type === 'group') return conversation.name ?? 'Group';
  const other = otherMember(conversation.id);
  return other ? nameOf(other.userId) : 'Direct chat';
}

function preview(message) {
  if (!message) return 'No messages yet';
  if (message.deletedForEveryone) return 'Message deleted';
  const who = message.type === 'system' ? '' : `${nameOf(message.senderId)}: `;
  return `${who}${message.content ?? `[${message.type}]`}`;
}

function renderConversationList() {
  const list = $('#conversation-list');
  const items = [...state.conversations.values()].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  list.replaceChildren(
    ...items.map((c) => {
      const other = c.type === 'direct' ? otherMember(c.id) : null;
      const typing = [...(state.typing.get(c.id) ?? [])];
      return el('li', { class: c.id === state.current ? 'active' : '', dataset: { id: c.id, testid: 'conversation' }, onclick: () => openConversation(c.id) }, [
        el('span', { class: `dot ${other ? (state.online.has(other.userId) ? 'online' : '') : 'none'}`, 'data-testid': 'online-dot', title: other && state.online.has(other.userId) ? 'online' : '' }),
        el('span', { class: 'title', text: `${titleOf(c)}${c.archived ? ' (archived)' : ''}${c.muted ? ' 🔕' : ''}`, 'data-testid': 'conversation-title' }),
        c.unreadCount > 0 && c.id !== state.current ? el('span', { class: 'badge', text: String(c.unreadCount), 'data-testid': 'unread' }) : el('span'),
        el('span', { class: 'preview', text: typing.length > 0 ? `${typing.map(nameOf).join(', ')} typing…` : preview(c.lastMessage), 'data-testid': 'preview' }),
      ]);
    }),
  );
}

function bumpConversation(message, unread) {
  const item = state.conversations.get(message.conversationId);
  if (!item) return void loadConversations();
  item.lastMessage = message;
  item.updatedAt = message.createdAt;
  if (unread && message.conversationId !== state.current) item.unreadCount += 1;
  renderConversationList();
}

// ---------- one conversation ----------

async function openConversation(conversationId, aroundSeq) {
  if (state.current && state.current !== conversationId) socket.request('leave_conversation', { conversationId: state.current }).catch(() => {});
  state.current = conversationId;
  state.replyTo = null;
  state.editing = null;
  renderComposeContext();
  $('#composer').classList.remove('hidden');
  await loadMembers(conversationId);
  const query = aroundSeq ? `around=${aroundSeq}&limit=${PAGE}` : `limit=${PAGE}`;
  const page = await api('GET', `/conversations/${encodeURIComponent(conversationId)}/messages?${query}`);
  state.messages.set(conversationId, new Map());
  // Changes after this load come from sync: start its change cursor at what the list said.
  const listed = state.conversations.get(conversationId);
  if (listed && !state.changeCursor.has(conversationId)) state.changeCursor.set(conversationId, listed.version);
  state.hasMoreBefore.set(conversationId, page.hasMoreBefore);
  addMessages(conversationId, page.messages, false);
  renderHeader();
  renderMessages();
  if (aroundSeq) highlight(aroundSeq);
  else scrollToBottom();
  renderConversationList();
  socket.request('join_conversation', { conversationId }).then(onJoined).catch(() => {});
  markRead();
  $('#composer-input').focus();
}

function onJoined({ conversationId, typingUserIds, onlineUserIds }) {
  for (const id of onlineUserIds ?? []) state.online.add(id);
  state.typing.set(conversationId, new Set((typingUserIds ?? []).filter((id) => id !== state.me.id)));
  renderTyping();
  renderHeader();
}

function closeConversation() {
  state.current = null;
  $('#messages').replaceChildren();
  $('#composer').classList.add('hidden');
  renderHeader();
}

function renderHeader() {
  const header = $('#conv-header');
  const conversation = state.conversations.get(state.current);
  if (!conversation) return header.replaceChildren(el('span', { class: 'placeholder', text: 'Pick a conversation, or start one.' }));
  const members = state.members.get(conversation.id) ?? [];
  const onlineCount = members.filter((m) => state.online.has(m.userId)).length;
  const other = conversation.type === 'direct' ? otherMember(conversation.id) : null;
  header.replaceChildren(
    el('span', { class: `dot ${other ? (state.online.has(other.userId) ? 'online' : '') : 'none'}` }),
    el('span', { text: titleOf(conversation), 'data-testid': 'conv-title' }),
    el('span', {
      class: 'sub',
      text: conversation.type === 'group' ? `${members.length} members, ${onlineCount} online` : other && state.online.has(other.userId) ? 'online' : 'offline',
      'data-testid': 'conv-sub',
    }),
  );
}

// On the socket a message leaves out the fields that hold their default (PROTOCOL.md).
const MESSAGE_DEFAULTS = { type: 'text', content: null, replyToId: null, metadata: null, clientMessageId: null, editedAt: null, deletedAt: null, deletedForEveryone: false };
function wholeMessage(m) {
  return { ...MESSAGE_DEFAULTS, attachments: [], reactions: [], ...m };
}

function addMessages(conversationId, messages, render = true) {
  let map = state.messages.get(conversationId);
  if (!map && conversationId !== state.current) {
    for (const m of messages) state.lastSeq.set(conversationId, Math.max(state.lastSeq.get(conversationId) ?? 0, m.seq));
    return;
  }
  if (!map) state.messages.set(conversationId, (map = new Map()));
  for (const m of messages.map(wholeMessage)) {
    map.set(m.id, m);
    state.lastSeq.set(conversationId, Math.max(state.lastSeq.get(conversationId) ?? 0, m.seq));
  }
  if (render && conversationId === state.current) {
    const box = $('#messages');
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    renderMessages();
    if (atBottom) scrollToBottom();
    markRead();
  }
}

function sortedMessages(conversationId) {
  return [...(state.messages.get(conversationId)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
}

function renderMessages() {
  const conversationId = state.current;
  if (!conversationId) return;
  const messages = sortedMessages(conversationId);
  const byId = state.messages.get(conversationId);
  const myRole = (state.members.get(conversationId) ?? []).find((m) => m.userId === state.me.id)?.role;
  const conversation = state.conversations.get(conversationId);
  const lastMine = [...messages].reverse().find((m) => m.senderId === state.me.id && m.type !== 'system');
  const nodes = messages.map((m) => renderMessage(m, byId, { myRole, conversation, isLastMine: m === lastMine }));
  for (const [tempId, { conversationId: cid, data, failed }] of state.pending) {
    if (cid === conversationId) nodes.push(renderPending(tempId, data, failed));
  }
  $('#messages').replaceChildren(...nodes);
}

function renderMessage(m, byId, { myRole, conversation, isLastMine }) {
  if (m.type === 'system') return el('div', { class: 'msg system', dataset: { id: m.id, seq: m.seq, testid: 'message' } }, [el('span', { class: 'text', text: m.content ?? '', 'data-testid': 'message-text' })]);
  const mine = m.senderId === state.me.id;
  const canDeleteForEveryone = !m.deletedForEveryone && (mine || (conversation?.type === 'group' && (myRole === 'owner' || myRole === 'admin')));
  const replied = m.replyToId ? byId.get(m.replyToId) : null;
  return el('div', { class: `msg${mine ? ' mine' : ''}`, dataset: { id: m.id, seq: m.seq, testid: 'message' }, tabindex: 0 }, [
    mine ? null : el('div', { class: 'sender', text: nameOf(m.senderId), 'data-testid': 'message-sender' }),
    m.replyToId ? el('div', { class: 'quote', text: replied ? `${nameOf(replied.senderId)}: ${replied.deletedForEveryone ? 'Message deleted' : (replied.content ?? '')}` : 'Reply to an earlier message', 'data-testid': 'reply-quote' }) : null,
    m.deletedForEveryone
      ? el('div', { class: 'text deleted', text: 'Message deleted', 'data-testid': 'message-text' })
      : el('div', { class: 'text', text: m.content ?? `[${m.type}]`, 'data-testid': 'message-text' }),
    m.reactions.length > 0
      ? el('div', { class: 'reactions' }, m.reactions.map((r) =>
          el('button', { type: 'button', class: r.userIds.includes(state.me.id) ? 'mine' : '', title: r.userIds.map(nameOf).join(', '), text: `${r.emoji} ${r.count}`, 'data-testid': 'reaction', onclick: () => react(m.id, r.emoji) }),
        ))
      : null,
    el('div', { class: 'meta' }, [
      el('span', { text: new Date(m.createdAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) }),
      m.editedAt && !m.deletedForEveryone ? el('span', { text: 'edited', 'data-testid': 'edited' }) : null,
      mine && isLastMine ? el('span', { text: receiptText(m), 'data-testid': 'receipt' }) : null,
    ]),
    m.deletedForEveryone
      ? null
      : el('div', { class: 'actions' }, [
          el('button', { type: 'button', text: '↩', title: 'Reply', 'data-testid': 'action-reply', onclick: () => startReply(m) }),
          ...QUICK_EMOJI.slice(0, 3).map((emoji) => el('button', { type: 'button', text: emoji, title: `React ${emoji}`, 'data-testid': `action-react-${emoji}`, onclick: () => react(m.id, emoji) })),
          mine ? el('button', { type: 'button', text: '✎', title: 'Edit', 'data-testid': 'action-edit', onclick: () => startEdit(m) }) : null,
          el('button', { type: 'button', text: '🗑 me', title: 'Delete for me', 'data-testid': 'action-delete-me', onclick: () => remove(m.id, false) }),
          canDeleteForEveryone ? el('button', { type: 'button', text: '🗑 all', title: 'Delete for everyone', 'data-testid': 'action-delete-all', onclick: () => remove(m.id, true) }) : null,
        ]),
  ]);
}

function renderPending(tempId, data, failed) {
  return el('div', { class: `msg mine ${failed ? 'failed' : 'pending'}`, dataset: { temp: tempId, testid: 'message' } }, [
    el('div', { class: 'text', text: data.content, 'data-testid': 'message-text' }),
    el('div', { class: 'meta' }, [
      el('span', { text: failed ? 'not sent' : 'sending…', 'data-testid': 'pending' }),
      failed ? el('button', { type: 'button', class: 'link', text: 'retry', onclick: () => sendFrame(tempId, data) }) : null,
    ]),
  ]);
}

/** Receipts come from members' read positions: whoever has read up to this seq has seen it. */
function receiptText(message) {
  const others = (state.members.get(message.conversationId) ?? []).filter((m) => m.userId !== state.me.id);
  const readers = others.filter((m) => m.lastReadSeq >= message.seq);
  if (readers.length === 0) return 'Sent';
  if (readers.length === others.length && others.length > 1) return 'Seen by everyone';
  return `Seen by ${readers.map((m) => nameOf(m.userId)).join(', ')}`;
}

function scrollToBottom() {
  const box = $('#messages');
  box.scrollTop = box.scrollHeight;
}

function highlight(seq) {
  const node = $(`#messages [data-seq="${seq}"]`);
  node?.classList.add('highlight');
  node?.scrollIntoView({ block: 'center' });
}

/** Infinite scroll upward: near the top, load the page before the oldest message shown. */
let loadingOlder = false;
async function loadOlder() {
  const conversationId = state.current;
  if (!conversationId || loadingOlder || !state.hasMoreBefore.get(conversationId)) return;
  const oldest = sortedMessages(conversationId)[0];
  if (!oldest) return;
  loadingOlder = true;
  try {
    const box = $('#messages');
    const before = box.scrollHeight;
    const page = await api('GET', `/conversations/${encodeURIComponent(conversationId)}/messages?before=${oldest.seq}&limit=${PAGE}`);
    state.hasMoreBefore.set(conversationId, page.hasMoreBefore);
    addMessages(conversationId, page.messages, false);
    renderMessages();
    box.scrollTop = box.scrollHeight - before;
  } finally {
    loadingOlder = false;
  }
}

let readTimer = null;
function markRead() {
  clearTimeout(readTimer);
  readTimer = setTimeout(() => {
    const conversationId = state.current;
    const item = state.conversations.get(conversationId);
    if (!conversationId || document.visibilityState !== 'visible') return;
    socket.request('mark_as_read', { conversationId }).catch(() => {});
    if (item) item.unreadCount = 0;
    renderConversationList();
  }, 200);
}

// ---------- actions ----------

function sendFrame(tempId, data) {
  state.pending.set(tempId, { conversationId: data.conversationId, data, failed: false });
  renderMessages();
  socket
    .request('send_message', { ...data, tempId })
    .then(({ message: ack }) => {
      state.pending.delete(tempId);
      // message_sent carries what the server decided and what differs from the send: the send has the rest.
      const message = wholeMessage({ conversationId: data.conversationId, senderId: state.me.id, clientMessageId: tempId, ...data, ...ack });
      delete message.tempId;
      addMessages(message.conversationId, [message]);
      bumpConversation(message, false);
      scrollToBottom();
    })
    .catch((error) => {
      // Offline: the message is resent with the same tempId on reconnect (stored once).
      if (error.message === 'offline' || error.message === 'disconnected') return;
      state.pending.set(tempId, { conversationId: data.conversationId, data, failed: true });
      renderMessages();
    });
  scrollToBottom();
}

async function submitComposer(event) {
  event.preventDefault();
  const input = $('#composer-input');
  const content = input.value.trim();
  if (!content || !state.current) return;
  input.value = '';
  stopTyping();
  if (state.editing) {
    const messageId = state.editing.id;
    state.editing = null;
    renderComposeContext();
    await socket.request('edit_message', { messageId, content }).then(({ message }) => addMessages(message.conversationId, [message])).catch((e) => alertInline(e.message));
    return;
  }
  const data = { conversationId: state.current, content, ...(state.replyTo ? { replyToId: state.replyTo.id } : {}) };
  state.replyTo = null;
  renderComposeContext();
  sendFrame(`tmp-${crypto.randomUUID()}`, data);
}

function react(messageId, emoji) {
  socket.request('react_to_message', { messageId, emoji }).catch((e) => alertInline(e.message));
}

function remove(messageId, forEveryone) {
  socket.request('delete_message', { messageId, forEveryone }).catch((e) => alertInline(e.message));
}

function startReply(message) {
  state.editing = null;
  state.replyTo = message;
  renderComposeContext();
  $('#composer-input').focus();
}

function startEdit(message) {
  state.replyTo = null;
  state.editing = message;
  $('#composer-input').value = message.content ?? '';
  renderComposeContext();
  $('#composer-input').focus();
}

function renderComposeContext() {
  const box = $('#compose-context');
  const target = state.editing ?? state.replyTo;
  if (!target) return box.classList.add('hidden');
  box.classList.remove('hidden');
  box.replaceChildren(
    el('span', { text: state.editing ? 'Editing your message' : `Replying to ${nameOf(target.senderId)}: ${target.content ?? ''}` }),
    el('button', {
      type: 'button',
      class: 'link',
      text: 'cancel',
      onclick: () => {
        if (state.editing) $('#composer-input').value = '';
        state.editing = null;
        state.replyTo = null;
        renderComposeContext();
      },
    }),
  );
}

function alertInline(text) {
  setStatus(`⚠ ${text}`);
  setTimeout(() => setStatus('online'), 4000);
}

// ---------- typing ----------

let lastTypingSent = 0;
function onComposerInput() {
  if (!state.current || state.editing) return;
  const now = Date.now();
  if (now - lastTypingSent > 3000) {
    lastTypingSent = now;
    socket.request('typing_start', { conversationId: state.current }).catch(() => {});
  }
}

function stopTyping() {
  if (lastTypingSent === 0 || !state.current) return;
  lastTypingSent = 0;
  socket.request('typing_stop', { conversationId: state.current }).catch(() => {});
}

function setTyping(conversationId, userId, typing) {
  let set = state.typing.get(conversationId);
  if (!set) state.typing.set(conversationId, (set = new Set()));
  if (typing) set.add(userId);
  else set.delete(userId);
  renderTyping();
  renderConversationList();
}

function renderTyping() {
  const names = [...(state.typing.get(state.current) ?? [])].map(nameOf);
  $('#typing').textContent = names.length === 0 ? '' : `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} typing…`;
}

// ---------- new chats and search ----------

async function showNewChat(kind) {
  const panel = $('#new-chat-panel');
  if (!panel.classList.contains('hidden') && panel.dataset.kind === kind) return panel.classList.add('hidden');
  panel.dataset.kind = kind;
  const people = (await fetch('/demo/users').then((r) => r.json())).filter((u) => u.id !== state.me.id);
  for (const u of people) state.users.set(u.id, u.name);
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
            const conversation = await api('POST', '/conversations/direct', { recipientId: u.id });
            panel.classList.add('hidden');
            state.members.delete(conversation.id);
            await loadConversations();
            openConversation(conversation.id);
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
          await loadConversations();
          openConversation(conversation.id);
        } catch (error) {
          alertInline(error.message);
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
  const result = await api('GET', `/conversations/messages/search?q=${encodeURIComponent(q)}&limit=20`).catch((e) => ({ items: [], total: 0, error: e }));
  box.classList.remove('hidden');
  box.replaceChildren(
    el('div', { class: 'hint', text: `${result.total} result${result.total === 1 ? '' : 's'} for “${q}”` }),
    ...result.items.map(({ message }) =>
      el('div', {
        class: 'search-hit',
        'data-testid': 'search-hit',
        onclick: () => {
          box.classList.add('hidden');
          openConversation(message.conversationId, message.seq);
        },
      }, [
        el('div', { class: 'where', text: `${titleOf(state.conversations.get(message.conversationId) ?? { type: 'group', name: '?' })} · ${nameOf(message.senderId)}` }),
        el('div', { text: message.content ?? '' }),
      ]),
    ),
  );
}

// ---------- sign-in ----------

function setStatus(text) {
  $('#conn-status').textContent = text;
}

async function showLogin() {
  $('#login').classList.remove('hidden');
  $('#app').classList.add('hidden');
  const users = await fetch('/demo/users').then((r) => r.json()).catch(() => []);
  $('#known-users').replaceChildren(...users.map((u) => el('button', { type: 'button', text: u.name, onclick: () => login(u.name) })));
  $('#login-name').focus();
}

async function login(name) {
  const res = await fetch('/demo/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
  const data = await res.json();
  if (!res.ok) {
    $('#login-error').textContent = data.error?.message ?? 'Could not sign in';
    return;
  }
  sessionStorage.setItem('parley-demo-name', data.user.name);
  state.token = data.token;
  state.me = data.user;
  state.users.set(data.user.id, data.user.name);
  $('#me').textContent = data.user.name;
  $('#login').classList.add('hidden');
  $('#app').classList.remove('hidden');
  socket.connect();
}

function logout() {
  socket.close();
  sessionStorage.removeItem('parley-demo-name');
  location.reload();
}

$('#login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  login($('#login-name').value);
});
$('#logout').addEventListener('click', logout);
$('#composer').addEventListener('submit', submitComposer);
$('#composer-input').addEventListener('input', onComposerInput);
$('#composer-input').addEventListener('blur', stopTyping);
$('#composer-input').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey) submitComposer(event);
  if (event.key === 'Escape') {
    state.editing = null;
    state.replyTo = null;
    renderComposeContext();
  }
});
$('#messages').addEventListener('scroll', () => {
  if ($('#messages').scrollTop < 60) loadOlder();
});
$('#search-form').addEventListener('submit', search);
$('#new-direct').addEventListener('click', () => showNewChat('direct'));
$('#new-group').addEventListener('click', () => showNewChat('group'));
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') markRead();
});

const remembered = sessionStorage.getItem('parley-demo-name');
if (remembered) login(remembered);
else showLogin();
