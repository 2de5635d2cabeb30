// A group's member list beside the messages (toggled from the header) and, for moderators
// (the `moderate` capability: admins and the owner by default), the moderation kit: mute and
// ban members, lift bans, slow mode, and the queue of reported messages. Anyone may report
// someone else's message.

import { el } from './dom.js';
import { timeLabel } from './format.js';

const REASONS = ['spam', 'harassment', 'hate', 'violence', 'sexual', 'illegal', 'other'];
const SLOW_MODE_CHOICES = [
  [0, 'Off'],
  [10, '10 s'],
  [30, '30 s'],
  [60, '1 min'],
  [300, '5 min'],
];
const ROLE_ORDER = { owner: 0, admin: 1, member: 2 };
const MODERATION_UPDATES = new Set(['member_banned', 'member_unbanned', 'message_reported', 'report_resolved', 'member_removed']);

export class ModerationPanel {
  constructor({ client, ui, nameOf, isOnline, notify, explain, onChange, reloadMembers }) {
    Object.assign(this, { client, ui, nameOf, isOnline, notify, explain, onChange, reloadMembers });
    this.open = false;
    this.version = 0;
    this.reports = new Map(); // conversationId → open reports
    this.bans = new Map(); // conversationId → bans
    this.confirmBan = null;
    this.reporting = null; // the message id whose report form is shown
    client.on('conversation_updated', ({ conversationId, updateType }) => {
      if (MODERATION_UPDATES.has(updateType) && this.canModerate(conversationId)) void this.refresh(conversationId);
    });
    client.on('connected', () => {
      if (this.ui.current !== null && this.canModerate(this.ui.current)) void this.refresh(this.ui.current);
    });
  }

  canModerate(conversationId) {
    const info = this.client.getState().conversations[conversationId]?.info;
    return info?.type === 'group' && info.capabilities.includes('moderate');
  }

  /** Whether I may mute or ban this member: never the owner, nor another admin unless I own the group. */
  canAct(conversationId, member) {
    const me = (this.ui.members.get(conversationId) ?? []).find((m) => m.userId === this.ui.me.id);
    if (!this.canModerate(conversationId) || member.userId === this.ui.me.id || member.role === 'owner') return false;
    return member.role !== 'admin' || me?.role === 'owner';
  }

  toggle() {
    this.open = !this.open;
    if (this.open && this.ui.current !== null && this.canModerate(this.ui.current)) void this.refresh(this.ui.current);
    this.changed();
  }

  close() {
    if (!this.open && this.reporting === null) return;
    this.open = false;
    this.reporting = null;
    this.confirmBan = null;
    this.changed();
  }

  changed() {
    this.version += 1;
    this.onChange();
  }

  async refresh(conversationId) {
    try {
      const [reports, bans] = await Promise.all([this.client.listReports(conversationId, { status: 'open', limit: 50 }), this.client.listBans(conversationId)]);
      this.reports.set(conversationId, reports.items);
      this.bans.set(conversationId, bans);
    } catch (error) {
      if (error?.code !== 'DISCONNECTED') this.notify(`Could not load the moderation queue: ${this.explain(error)}`);
    }
    this.changed();
  }

  async run(what, action, conversationId) {
    try {
      await action();
    } catch (error) {
      this.notify(`${what} failed: ${this.explain(error)}`);
    }
    this.confirmBan = null;
    await this.reloadMembers(conversationId);
    if (this.canModerate(conversationId)) await this.refresh(conversationId);
    this.changed();
  }

  /** The "Report" action on someone else's message: opens a small form in the message. */
  reportAction() {
    return {
      open: (m) => {
        this.reporting = m.id;
        this.changed();
      },
      cancel: () => {
        this.reporting = null;
        this.changed();
      },
      submit: async (m, reason) => {
        this.reporting = null;
        this.changed();
        try {
          await this.client.reportMessage(m.id, reason);
          this.notify('Reported: the group’s moderators will review it.', 'info');
        } catch (error) {
          this.notify(`Not reported: ${this.explain(error)}`);
        }
      },
      reasons: REASONS,
      current: () => this.reporting,
    };
  }

  /** "Members (3) · 2 reports" on the header's toggle. */
  toggleLabel(conversationId) {
    const members = this.ui.members.get(conversationId)?.length ?? 0;
    const reports = this.canModerate(conversationId) ? (this.reports.get(conversationId)?.length ?? 0) : 0;
    return reports > 0 ? `Members (${members}) · ${reports} report${reports === 1 ? '' : 's'}` : `Members (${members})`;
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
    const moderator = this.canModerate(conversationId);
    const members = [...(this.ui.members.get(conversationId) ?? [])].sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || this.nameOf(a.userId).localeCompare(this.nameOf(b.userId)));
    const now = new Date().toISOString();
    panel.replaceChildren(
      ...[
        el('header', {}, [el('strong', { text: `Members (${members.length})` }), el('button', { type: 'button', class: 'link', text: 'close', onclick: () => this.close() })]),
        el('ul', { 'data-testid': 'member-list' }, members.map((m) => this.renderMember(conversationId, m, now))),
        moderator ? this.renderSlowMode(conversationId, view.info.slowModeSeconds) : null,
        moderator ? this.renderBans(conversationId) : null,
        moderator ? this.renderReports(conversationId, s) : null,
      ].filter(Boolean),
    );
  }

  renderMember(conversationId, m, now) {
    const muted = m.silencedUntil !== null && m.silencedUntil > now;
    const actions = this.canAct(conversationId, m);
    const confirming = this.confirmBan === m.userId;
    return el('li', { 'data-testid': 'member', dataset: { user: m.userId } }, [
      el('span', { class: `dot ${m.userId === this.ui.me.id || this.isOnline(m.userId) ? 'online' : ''}` }),
      el('span', { class: 'member-name', text: this.nameOf(m.userId) }),
      m.role === 'member' ? null : el('span', { class: 'role', text: m.role }),
      muted ? el('span', { class: 'state', text: 'muted', 'data-testid': 'member-muted' }) : null,
      actions
        ? el('span', { class: 'member-actions' }, confirming
            ? [
                el('span', { text: `Ban ${this.nameOf(m.userId)}?` }),
                el('button', { type: 'button', class: 'danger', text: 'Ban', 'data-testid': 'confirm-ban', onclick: () => this.run('Ban', () => this.client.banMember(conversationId, m.userId), conversationId) }),
                el('button', { type: 'button', text: 'Cancel', onclick: () => ((this.confirmBan = null), this.changed()) }),
              ]
            : [
                muted
                  ? el('button', { type: 'button', text: 'Unmute', 'data-testid': 'unmute', onclick: () => this.run('Unmute', () => this.client.unmuteMember(conversationId, m.userId), conversationId) })
                  : el('button', { type: 'button', text: 'Mute', 'data-testid': 'mute', onclick: () => this.run('Mute', () => this.client.muteMember(conversationId, m.userId), conversationId) }),
                el('button', { type: 'button', text: 'Ban', 'data-testid': 'ban', onclick: () => ((this.confirmBan = m.userId), this.changed()) }),
              ])
        : null,
    ]);
  }

  renderSlowMode(conversationId, current) {
    const select = el('select', { 'data-testid': 'slow-mode-select', 'aria-label': 'Slow mode' }, SLOW_MODE_CHOICES.map(([seconds, label]) => el('option', { value: seconds, text: label, selected: seconds === current })));
    if (!SLOW_MODE_CHOICES.some(([seconds]) => seconds === current)) select.append(el('option', { value: current, text: `${current} s`, selected: true }));
    select.addEventListener('change', () => void this.run('Slow mode', () => this.client.setSlowMode(conversationId, Number(select.value)), conversationId));
    return el('section', { class: 'mod-section' }, [el('h4', { text: 'Slow mode' }), el('label', { class: 'slow-mode-setting' }, ['One message per member every ', select])]);
  }

  renderBans(conversationId) {
    const bans = this.bans.get(conversationId) ?? [];
    if (bans.length === 0) return null;
    return el('section', { class: 'mod-section' }, [
      el('h4', { text: `Banned (${bans.length})` }),
      el('ul', { 'data-testid': 'ban-list' }, bans.map((b) =>
        el('li', { 'data-testid': 'banned' }, [
          el('span', { class: 'member-name', text: this.nameOf(b.userId) }),
          el('button', { type: 'button', text: 'Unban', 'data-testid': 'unban', onclick: () => this.run('Unban', () => this.client.unbanMember(conversationId, b.userId), conversationId) }),
        ]),
      )),
    ]);
  }

  renderReports(conversationId, s) {
    const reports = this.reports.get(conversationId) ?? [];
    const held = new Map((s.windows[conversationId]?.messages ?? []).map((m) => [m.id, m]));
    return el('section', { class: 'mod-section' }, [
      el('h4', { text: `Reports (${reports.length})` }),
      reports.length === 0
        ? el('p', { class: 'hint', text: 'Nothing to review.' })
        : el('ul', { 'data-testid': 'report-queue' }, reports.map((r) => {
            const message = held.get(r.messageId);
            return el('li', { class: 'report', 'data-testid': 'report' }, [
              el('div', { class: 'report-message', text: message ? `${this.nameOf(message.senderId)}: ${message.deletedForEveryone ? 'Message deleted' : (message.content ?? `[${message.type}]`)}` : 'A message not loaded here' }),
              el('div', { class: 'hint', text: `${r.reason} · reported by ${this.nameOf(r.reporterId)} at ${timeLabel(r.createdAt)}${r.note ? ` — “${r.note}”` : ''}` }),
              el('div', { class: 'member-actions' }, [
                el('button', { type: 'button', text: 'Dismiss', 'data-testid': 'report-dismiss', onclick: () => this.run('Dismiss', () => this.client.resolveReport(r.id, 'dismiss'), conversationId) }),
                el('button', { type: 'button', text: 'Delete message', 'data-testid': 'report-delete', onclick: () => this.run('Delete', () => this.client.resolveReport(r.id, 'delete'), conversationId) }),
                el('button', { type: 'button', class: 'danger', text: 'Delete & ban', 'data-testid': 'report-ban', onclick: () => this.run('Delete and ban', () => this.client.resolveReport(r.id, 'ban'), conversationId) }),
              ]),
            ]);
          })),
    ]);
  }
}
