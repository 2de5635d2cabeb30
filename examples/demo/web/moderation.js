// The member list of a group, beside the messages (toggled from the header).

import { el } from './dom.js';

export class ModerationPanel {
  constructor({ client, ui, nameOf, isOnline, notify, explain, onChange, reloadMembers }) {
    Object.assign(this, { client, ui, nameOf, isOnline, notify, explain, onChange, reloadMembers });
    this.open = false;
    this.version = 0;
  }

  toggle() {
    this.open = !this.open;
    this.changed();
  }

  close() {
    if (!this.open) return;
    this.open = false;
    this.changed();
  }

  changed() {
    this.version += 1;
    this.onChange();
  }

  /** The "Report" action on messages, when the server has reports (null: none). */
  reportAction() {
    return null;
  }

  render(s) {
    const panel = document.querySelector('#members-panel');
    const conversationId = this.ui.current;
    const view = conversationId ? s.conversations[conversationId] : undefined;
    if (!this.open || view?.info?.type !== 'group') {
      panel.classList.add('hidden');
      return;
    }
    panel.classList.remove('hidden');
    const members = this.ui.members.get(conversationId) ?? [];
    const order = { owner: 0, admin: 1, member: 2 };
    panel.replaceChildren(
      el('header', {}, [el('strong', { text: `Members (${members.length})` }), el('button', { type: 'button', class: 'link', text: 'close', onclick: () => this.close() })]),
      el('ul', { 'data-testid': 'member-list' }, [...members].sort((a, b) => order[a.role] - order[b.role] || this.nameOf(a.userId).localeCompare(this.nameOf(b.userId))).map((m) =>
        el('li', { 'data-testid': 'member', dataset: { user: m.userId } }, [
          el('span', { class: `dot ${m.userId === this.ui.me.id || this.isOnline(m.userId) ? 'online' : ''}` }),
          el('span', { class: 'member-name', text: this.nameOf(m.userId) }),
          m.role === 'member' ? null : el('span', { class: 'role', text: m.role }),
        ]),
      )),
    );
  }
}
