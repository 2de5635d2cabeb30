// The thread panel: a root message and its replies beside the conversation, loaded a page at
// a time (`openThread`, `loadOlderThreadReplies`), kept live by @parley/client, read when
// shown (`markThreadRead`), with its own field (`@` completion, "also send to the conversation").

import { $, el } from './dom.js';
import { MentionCompleter } from './mentions.js';
import { timeLabel } from './format.js';

export class ThreadPanel {
  constructor({ client, ui, nameOf, notify, explain, candidates, everyone, onChange }) {
    Object.assign(this, { client, ui, nameOf, notify, explain, onChange });
    this.rootId = null;
    this.rendered = null;
    this.readTimer = null;
    this.panel = $('#thread-panel');
    this.list = el('div', { class: 'thread-replies', 'data-testid': 'thread-replies' });
    this.rootBox = el('div', { class: 'thread-root', 'data-testid': 'thread-root' });
    this.input = el('textarea', { rows: 2, placeholder: 'Reply in the thread — @ mentions', 'data-testid': 'thread-input' });
    this.also = el('input', { type: 'checkbox', 'data-testid': 'thread-also' });
    const form = el('form', { class: 'thread-composer', onsubmit: (event) => this.submit(event) }, [
      el('div', { class: 'composer-field' }, [this.input]),
      el('label', { class: 'hint' }, [this.also, 'Also send to the conversation']),
      el('button', { type: 'submit', text: 'Reply', 'data-testid': 'thread-send' }),
    ]);
    this.panel.replaceChildren(
      el('header', {}, [
        el('strong', { text: 'Thread' }),
        el('button', { type: 'button', class: 'link', text: '×', title: 'Close the thread', 'aria-label': 'Close the thread', 'data-testid': 'thread-close', onclick: () => this.close() }),
      ]),
      this.rootBox,
      this.list,
      form,
    );
    this.mentions = new MentionCompleter({ input: this.input, candidates, everyone, testid: 'thread-mention-suggestions' });
    this.input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) this.submit(event);
    });
  }

  async open(rootId) {
    if (this.rootId !== null && this.rootId !== rootId) this.client.closeThread(this.rootId);
    this.rootId = rootId;
    this.rendered = null;
    this.onChange();
    try {
      await this.client.openThread(rootId, { limit: 30 });
      this.input.focus();
    } catch (error) {
      this.notify(`Could not open the thread: ${this.explain(error)}`);
      this.close();
    }
    this.onChange();
  }

  close() {
    if (this.rootId !== null) this.client.closeThread(this.rootId);
    this.rootId = null;
    this.mentions.reset();
    this.onChange();
  }

  /** The conversation closed or changed: a thread of another one is closed too. */
  follow(conversationId) {
    const window = this.rootId === null ? undefined : this.client.getState().threads[this.rootId];
    if (window !== undefined && window.conversationId !== conversationId) this.close();
  }

  render(s) {
    const window = this.rootId === null ? undefined : s.threads[this.rootId];
    this.panel.classList.toggle('hidden', this.rootId === null);
    if (window === undefined) return;
    const key = [window, s.threadUnread[this.rootId]];
    if (this.rendered !== null && key.every((v, i) => v === this.rendered[i])) return;
    this.rendered = key;
    const root = window.root;
    this.rootBox.replaceChildren(
      root === null
        ? el('span', { text: '…' })
        : el('div', { class: 'msg' }, [
            el('div', { class: 'sender', text: this.nameOf(root.senderId) }),
            el('div', { class: 'text', text: root.deletedForEveryone ? 'Message deleted' : (root.content ?? `[${root.type}]`) }),
            el('div', { class: 'meta', text: `${root.thread?.replyCount ?? 0} ${root.thread?.replyCount === 1 ? 'reply' : 'replies'}`, 'data-testid': 'thread-count' }),
          ]),
    );
    this.list.replaceChildren(
      ...(window.hasMoreBefore ? [el('button', { type: 'button', class: 'load-older', text: 'Load older replies', 'data-testid': 'thread-load-older', onclick: () => this.loadOlder() })] : []),
      ...window.messages.map((m) =>
        el('div', { class: `msg ${m.senderId === this.ui.me.id ? 'mine' : ''}`, dataset: { testid: 'thread-reply', id: m.id } }, [
          el('div', { class: 'sender', text: this.nameOf(m.senderId) }),
          el('div', { class: m.deletedForEveryone ? 'text deleted' : 'text', text: m.deletedForEveryone ? 'Message deleted' : (m.content ?? `[${m.type}]`), 'data-testid': 'thread-reply-text' }),
          el('div', { class: 'meta' }, [el('span', { text: timeLabel(m.createdAt) }), m.alsoToConversation ? el('span', { text: 'also in the conversation' }) : null]),
        ]),
      ),
      ...window.pending.map((entry) =>
        el('div', { class: `msg mine ${entry.state === 'failed' ? 'failed' : 'pending'}`, 'data-testid': 'thread-reply' }, [
          el('div', { class: 'text', text: entry.message.content ?? '' }),
          el('div', { class: 'meta', text: entry.state === 'failed' ? `not sent: ${entry.error?.message ?? ''}` : 'sending…' }),
        ]),
      ),
    );
    this.list.scrollTop = this.list.scrollHeight;
    this.readSoon(s);
  }

  /** What is shown is read: the thread's unread count goes to zero while the panel is open. */
  readSoon(s) {
    const unread = s.threadUnread[this.rootId]?.unreadCount ?? 0;
    const window = s.threads[this.rootId];
    const newest = window?.messages.at(-1);
    const behind = newest !== undefined && newest.senderId !== this.ui.me.id && newest.seq > (s.threadUnread[this.rootId]?.lastReadSeq ?? 0);
    if ((unread === 0 && !behind) || document.visibilityState !== 'visible' || s.status !== 'open' || this.readTimer !== null) return;
    const rootId = this.rootId;
    this.readTimer = setTimeout(() => {
      this.readTimer = null;
      if (this.rootId === rootId) this.client.markThreadRead(rootId).catch(() => {});
    }, 250);
  }

  async loadOlder() {
    try {
      await this.client.loadOlderThreadReplies(this.rootId, 30);
    } catch (error) {
      this.notify(`Could not load older replies: ${this.explain(error)}`);
    }
  }

  submit(event) {
    event.preventDefault();
    const window = this.rootId === null ? undefined : this.client.getState().threads[this.rootId];
    const content = this.input.value.trim();
    if (window === undefined || content === '') return;
    const message = {
      conversationId: window.conversationId,
      content,
      threadId: this.rootId,
      ...(this.also.checked ? { alsoToConversation: true } : {}),
      ...this.mentions.mentionsIn(content),
    };
    this.input.value = '';
    this.also.checked = false;
    this.mentions.reset();
    this.client.sendMessage(message).catch(() => {});
  }
}
