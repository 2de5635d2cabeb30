import { createMemoryAttachmentStore, type ChatServices } from '@parley/core';
import { SAMPLE_FILES, uploadFile } from '@parley/core/testing';
import { jwtAuthenticator } from '@parley/transport-ws';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startApiServer, STORES, type ApiServer } from './stores.js';

/**
 * Who may do what, from one table: every REST route and every WebSocket event of a
 * conversation, for every kind of caller. A conversation one is not in is NOT_FOUND (its
 * existence is not revealed), whether never in it or removed from it; an inactive user is
 * FORBIDDEN everywhere; an expired token is UNAUTHENTICATED (REST 401, WebSocket refused).
 */
type Role = 'owner' | 'admin' | 'member' | 'removed' | 'outsider' | 'inactive' | 'expired';
const ROLES: Role[] = ['owner', 'admin', 'member', 'removed', 'outsider', 'inactive', 'expired'];
type Outcome = 'ok' | 'empty' | 'NOT_FOUND' | 'FORBIDDEN' | 'UNAUTHENTICATED';

/** The fixture each case runs against: a group with one user of each role, two messages. */
interface Fixture {
  id: string;
  ownerMessage: string;
  memberMessage: string;
  target: string;
  newcomer: string;
  /** A file the owner uploaded and sent in `ownerMessage`'s conversation. */
  sentFile: string;
  /** A file the owner uploaded and has not sent. */
  unsentFile: string;
  /** A message of `target`, which anyone else may report. */
  targetMessage: string;
  /** An open report (by `target`, of the member's message). */
  report: string;
  /** A user banned from the group. */
  banned: string;
}

interface Operation {
  name: string;
  rest?: (f: Fixture) => { method: string; path: string; body?: unknown };
  ws?: (f: Fixture) => { type: string; data: Record<string, unknown> };
  expect: Partial<Record<Role, Outcome>>;
}

const MEMBERS_OK = { owner: 'ok', admin: 'ok', member: 'ok' } as const;
const MANAGERS_OK = { owner: 'ok', admin: 'ok', member: 'FORBIDDEN' } as const;

/** The table. Unlisted roles get the defaults below (not in it: NOT_FOUND; inactive; expired). */
const OPERATIONS: Operation[] = [
  { name: 'read the conversation', rest: (f) => ({ method: 'GET', path: `/conversations/${f.id}` }), expect: MEMBERS_OK },
  { name: 'edit the group', rest: (f) => ({ method: 'PUT', path: `/conversations/${f.id}`, body: { name: 'renamed' } }), expect: MANAGERS_OK },
  { name: 'archive', rest: (f) => ({ method: 'POST', path: `/conversations/${f.id}/archive` }), expect: MEMBERS_OK },
  { name: 'unarchive', rest: (f) => ({ method: 'DELETE', path: `/conversations/${f.id}/archive` }), expect: MEMBERS_OK },
  { name: 'mute', rest: (f) => ({ method: 'POST', path: `/conversations/${f.id}/mute`, body: {} }), expect: MEMBERS_OK },
  { name: 'unmute', rest: (f) => ({ method: 'DELETE', path: `/conversations/${f.id}/mute` }), expect: MEMBERS_OK },
  { name: 'leave', rest: (f) => ({ method: 'POST', path: `/conversations/${f.id}/leave` }), expect: MEMBERS_OK },
  { name: 'list members', rest: (f) => ({ method: 'GET', path: `/conversations/${f.id}/members` }), expect: MEMBERS_OK },
  { name: 'add members', rest: (f) => ({ method: 'POST', path: `/conversations/${f.id}/members`, body: { memberIds: [f.newcomer] } }), expect: MANAGERS_OK },
  { name: 'remove a member', rest: (f) => ({ method: 'DELETE', path: `/conversations/${f.id}/members/${f.target}` }), expect: MANAGERS_OK },
  { name: 'change a role', rest: (f) => ({ method: 'PUT', path: `/conversations/${f.id}/members/${f.target}/role`, body: { role: 'admin' } }), expect: { owner: 'ok', admin: 'FORBIDDEN', member: 'FORBIDDEN' } },
  { name: 'list messages', rest: (f) => ({ method: 'GET', path: `/conversations/${f.id}/messages` }), expect: MEMBERS_OK },
  { name: 'read one message', rest: (f) => ({ method: 'GET', path: `/conversations/messages/${f.memberMessage}` }), expect: MEMBERS_OK },
  { name: 'message stats', rest: (f) => ({ method: 'GET', path: `/conversations/${f.id}/messages/stats` }), expect: MEMBERS_OK },
  { name: 'catch up', rest: (f) => ({ method: 'GET', path: `/conversations/${f.id}/changes?since=0` }), ws: (f) => ({ type: 'sync', data: { since: { [f.id]: 0 } } }), expect: MEMBERS_OK },
  {
    name: 'send a message',
    rest: (f) => ({ method: 'POST', path: '/conversations/messages', body: { conversationId: f.id, content: 'hi' } }),
    ws: (f) => ({ type: 'send_message', data: { conversationId: f.id, content: 'hi' } }),
    expect: MEMBERS_OK,
  },
  {
    name: "edit a member's message (author only)",
    rest: (f) => ({ method: 'PUT', path: `/conversations/messages/${f.memberMessage}`, body: { content: 'edited' } }),
    ws: (f) => ({ type: 'edit_message', data: { messageId: f.memberMessage, content: 'edited' } }),
    expect: { owner: 'FORBIDDEN', admin: 'FORBIDDEN', member: 'ok' },
  },
  {
    name: "delete the owner's message for everyone (author, or admins of a group)",
    rest: (f) => ({ method: 'DELETE', path: `/conversations/messages/${f.ownerMessage}?forEveryone=true` }),
    ws: (f) => ({ type: 'delete_message', data: { messageId: f.ownerMessage, forEveryone: true } }),
    expect: { owner: 'ok', admin: 'ok', member: 'FORBIDDEN' },
  },
  {
    name: 'delete a message for me',
    rest: (f) => ({ method: 'DELETE', path: `/conversations/messages/${f.ownerMessage}` }),
    ws: (f) => ({ type: 'delete_message', data: { messageId: f.ownerMessage } }),
    expect: MEMBERS_OK,
  },
  {
    name: 'mark as read',
    rest: (f) => ({ method: 'POST', path: '/conversations/messages/read', body: { conversationId: f.id } }),
    ws: (f) => ({ type: 'mark_as_read', data: { conversationId: f.id } }),
    expect: MEMBERS_OK,
  },
  {
    name: 'mark as unread',
    rest: (f) => ({ method: 'POST', path: `/conversations/${f.id}/unread`, body: { messageId: f.ownerMessage } }),
    ws: (f) => ({ type: 'mark_unread', data: { conversationId: f.id, messageId: f.ownerMessage } }),
    expect: MEMBERS_OK,
  },
  {
    name: 'react',
    rest: (f) => ({ method: 'POST', path: `/conversations/messages/${f.ownerMessage}/react`, body: { emoji: '👍' } }),
    ws: (f) => ({ type: 'react_to_message', data: { messageId: f.ownerMessage, emoji: '👍' } }),
    expect: MEMBERS_OK,
  },
  {
    name: 'remove a reaction',
    rest: (f) => ({ method: 'DELETE', path: `/conversations/messages/${f.ownerMessage}/react`, body: { emoji: '👍' } }),
    ws: (f) => ({ type: 'remove_reaction', data: { messageId: f.ownerMessage, emoji: '👍' } }),
    expect: MEMBERS_OK,
  },
  {
    name: 'pin a message',
    rest: (f) => ({ method: 'POST', path: `/conversations/messages/${f.ownerMessage}/pin`, body: {} }),
    ws: (f) => ({ type: 'pin_message', data: { messageId: f.ownerMessage } }),
    expect: MEMBERS_OK,
  },
  {
    name: 'unpin a message',
    rest: (f) => ({ method: 'DELETE', path: `/conversations/messages/${f.ownerMessage}/pin` }),
    ws: (f) => ({ type: 'unpin_message', data: { messageId: f.ownerMessage } }),
    expect: MEMBERS_OK,
  },
  {
    name: 'list pins',
    rest: (f) => ({ method: 'GET', path: `/conversations/${f.id}/pins` }),
    ws: (f) => ({ type: 'list_pins', data: { conversationId: f.id } }),
    expect: MEMBERS_OK,
  },
  {
    name: "a message's edit history",
    rest: (f) => ({ method: 'GET', path: `/conversations/messages/${f.memberMessage}/history` }),
    ws: (f) => ({ type: 'get_message_history', data: { messageId: f.memberMessage } }),
    expect: MEMBERS_OK,
  },
  { name: 'reaction stats', rest: (f) => ({ method: 'GET', path: `/conversations/messages/${f.ownerMessage}/reactions` }), expect: MEMBERS_OK },
  { name: 'read receipts', rest: (f) => ({ method: 'GET', path: `/conversations/messages/${f.ownerMessage}/receipts` }), expect: MEMBERS_OK },
  {
    name: 'reply in a thread',
    rest: (f) => ({ method: 'POST', path: '/conversations/messages', body: { conversationId: f.id, content: 'in thread', threadId: f.ownerMessage } }),
    ws: (f) => ({ type: 'send_message', data: { conversationId: f.id, content: 'in thread', threadId: f.ownerMessage } }),
    expect: MEMBERS_OK,
  },
  {
    name: 'read a thread',
    rest: (f) => ({ method: 'GET', path: `/conversations/messages/${f.ownerMessage}/thread` }),
    ws: (f) => ({ type: 'get_thread', data: { threadId: f.ownerMessage } }),
    expect: MEMBERS_OK,
  },
  {
    name: 'mark a thread read',
    rest: (f) => ({ method: 'POST', path: `/conversations/messages/${f.ownerMessage}/thread/read`, body: {} }),
    ws: (f) => ({ type: 'mark_thread_read', data: { threadId: f.ownerMessage } }),
    expect: MEMBERS_OK,
  },
  {
    name: 'list followed threads',
    rest: (f) => ({ method: 'GET', path: `/conversations/${f.id}/threads` }),
    ws: (f) => ({ type: 'get_thread_unread', data: { conversationId: f.id } }),
    expect: MEMBERS_OK,
  },
  {
    name: 'mention a member',
    rest: (f) => ({ method: 'POST', path: '/conversations/messages', body: { conversationId: f.id, content: 'hey', mentions: [f.target] } }),
    ws: (f) => ({ type: 'send_message', data: { conversationId: f.id, content: 'hey', mentions: [f.target] } }),
    expect: MEMBERS_OK,
  },
  {
    name: 'mention everyone (admins of a group)',
    rest: (f) => ({ method: 'POST', path: '/conversations/messages', body: { conversationId: f.id, content: 'all', mentionEveryone: true } }),
    ws: (f) => ({ type: 'send_message', data: { conversationId: f.id, content: 'all', mentionEveryone: true } }),
    expect: { owner: 'ok', admin: 'ok', member: 'FORBIDDEN' },
  },
  { name: 'join the room', ws: (f) => ({ type: 'join_conversation', data: { conversationId: f.id } }), expect: MEMBERS_OK },
  { name: 'typing', ws: (f) => ({ type: 'typing_start', data: { conversationId: f.id } }), expect: MEMBERS_OK },
  { name: 'stop typing', ws: (f) => ({ type: 'typing_stop', data: { conversationId: f.id } }), expect: MEMBERS_OK },
  {
    name: 'search in the conversation (nothing found outside it)',
    rest: (f) => ({ method: 'GET', path: `/conversations/messages/search?q=secret&conversationId=${f.id}` }),
    expect: { ...MEMBERS_OK, removed: 'empty', outsider: 'empty' },
  },
  {
    name: 'ask for an upload slot',
    rest: (f) => ({ method: 'POST', path: '/attachments', body: { conversationId: f.id, name: 'a.txt', mimeType: 'text/plain', size: 1 } }),
    ws: (f) => ({ type: 'create_upload', data: { conversationId: f.id, name: 'a.txt', mimeType: 'text/plain', size: 1 } }),
    expect: MEMBERS_OK,
  },
  {
    name: 'download a sent file',
    rest: (f) => ({ method: 'GET', path: `/attachments/${f.sentFile}` }),
    ws: (f) => ({ type: 'get_attachment', data: { attachmentId: f.sentFile } }),
    expect: MEMBERS_OK,
  },
  {
    name: "complete the owner's upload (its uploader only)",
    rest: (f) => ({ method: 'POST', path: `/attachments/${f.unsentFile}/complete` }),
    ws: (f) => ({ type: 'complete_upload', data: { attachmentId: f.unsentFile } }),
    expect: { owner: 'ok', admin: 'NOT_FOUND', member: 'NOT_FOUND' },
  },
  {
    name: "download the owner's unsent file (its uploader only)",
    rest: (f) => ({ method: 'GET', path: `/attachments/${f.unsentFile}` }),
    ws: (f) => ({ type: 'get_attachment', data: { attachmentId: f.unsentFile } }),
    expect: { owner: 'ok', admin: 'NOT_FOUND', member: 'NOT_FOUND' },
  },
  // The moderation kit: the `moderate` capability (owner and admins by default).
  {
    name: 'ban a member',
    rest: (f) => ({ method: 'POST', path: `/conversations/${f.id}/bans`, body: { userId: f.target } }),
    ws: (f) => ({ type: 'ban_member', data: { conversationId: f.id, userId: f.target } }),
    expect: MANAGERS_OK,
  },
  {
    name: 'lift a ban',
    rest: (f) => ({ method: 'DELETE', path: `/conversations/${f.id}/bans/${f.banned}` }),
    ws: (f) => ({ type: 'unban_member', data: { conversationId: f.id, userId: f.banned } }),
    expect: MANAGERS_OK,
  },
  {
    name: 'list bans',
    rest: (f) => ({ method: 'GET', path: `/conversations/${f.id}/bans` }),
    ws: (f) => ({ type: 'list_bans', data: { conversationId: f.id } }),
    expect: MANAGERS_OK,
  },
  {
    name: 'mute a member',
    rest: (f) => ({ method: 'POST', path: `/conversations/${f.id}/members/${f.target}/silence`, body: {} }),
    ws: (f) => ({ type: 'silence_member', data: { conversationId: f.id, userId: f.target } }),
    expect: MANAGERS_OK,
  },
  {
    name: 'unmute a member',
    rest: (f) => ({ method: 'DELETE', path: `/conversations/${f.id}/members/${f.target}/silence` }),
    ws: (f) => ({ type: 'unsilence_member', data: { conversationId: f.id, userId: f.target } }),
    expect: MANAGERS_OK,
  },
  {
    name: 'set slow mode',
    rest: (f) => ({ method: 'PUT', path: `/conversations/${f.id}/slow-mode`, body: { seconds: 10 } }),
    ws: (f) => ({ type: 'set_slow_mode', data: { conversationId: f.id, seconds: 10 } }),
    expect: MANAGERS_OK,
  },
  {
    name: 'report a message',
    rest: (f) => ({ method: 'POST', path: `/conversations/messages/${f.targetMessage}/report`, body: { reason: 'spam' } }),
    ws: (f) => ({ type: 'report_message', data: { messageId: f.targetMessage, reason: 'spam' } }),
    expect: MEMBERS_OK,
  },
  {
    name: 'list reports',
    rest: (f) => ({ method: 'GET', path: `/conversations/${f.id}/reports` }),
    ws: (f) => ({ type: 'list_reports', data: { conversationId: f.id } }),
    expect: MANAGERS_OK,
  },
  {
    name: 'resolve a report',
    rest: (f) => ({ method: 'POST', path: `/reports/${f.report}/resolve`, body: { action: 'dismiss' } }),
    ws: (f) => ({ type: 'resolve_report', data: { reportId: f.report, action: 'dismiss' } }),
    expect: MANAGERS_OK,
  },
  {
    name: 'read the audit log',
    rest: (f) => ({ method: 'GET', path: `/conversations/${f.id}/audit` }),
    ws: (f) => ({ type: 'get_audit_log', data: { conversationId: f.id } }),
    expect: MANAGERS_OK,
  },
  {
    name: 'block a user (not about a conversation)',
    rest: (f) => ({ method: 'POST', path: '/blocks', body: { userId: f.target } }),
    ws: (f) => ({ type: 'block_user', data: { userId: f.target } }),
    expect: { ...MEMBERS_OK, removed: 'ok', outsider: 'ok' },
  },
  { name: 'list blocked users', rest: () => ({ method: 'GET', path: '/blocks' }), ws: () => ({ type: 'list_blocked', data: {} }), expect: { ...MEMBERS_OK, removed: 'ok', outsider: 'ok' } },
  {
    name: 'unblock a user',
    rest: (f) => ({ method: 'DELETE', path: `/blocks/${f.target}` }),
    ws: (f) => ({ type: 'unblock_user', data: { userId: f.target } }),
    expect: { ...MEMBERS_OK, removed: 'ok', outsider: 'ok' },
  },
  {
    name: 'open a direct conversation with a member (not about this group)',
    rest: (f) => ({ method: 'POST', path: '/conversations/direct', body: { recipientId: f.target } }),
    expect: { ...MEMBERS_OK, removed: 'ok', outsider: 'ok' },
  },
  { name: 'leave the room', ws: (f) => ({ type: 'leave_conversation', data: { conversationId: f.id } }), expect: { ...MEMBERS_OK, removed: 'ok', outsider: 'ok' } },
  { name: 'ask who is online', ws: (f) => ({ type: 'get_presence', data: { userIds: [f.target] } }), expect: { ...MEMBERS_OK, removed: 'ok', outsider: 'ok' } },
  { name: 'ping', ws: () => ({ type: 'ping', data: {} }), expect: { ...MEMBERS_OK, removed: 'ok', outsider: 'ok' } },
  { name: 'list own conversations', rest: () => ({ method: 'GET', path: '/conversations' }), expect: { ...MEMBERS_OK, removed: 'ok', outsider: 'ok' } },
  { name: 'own stats', rest: () => ({ method: 'GET', path: '/conversations/stats' }), expect: { ...MEMBERS_OK, removed: 'ok', outsider: 'ok' } },
  { name: 'create a group', rest: () => ({ method: 'POST', path: '/conversations/group', body: { name: 'mine' } }), expect: { ...MEMBERS_OK, removed: 'ok', outsider: 'ok' } },
];

const DEFAULTS: Record<Role, Outcome> = {
  owner: 'ok',
  admin: 'ok',
  member: 'ok',
  removed: 'NOT_FOUND',
  outsider: 'NOT_FOUND',
  inactive: 'FORBIDDEN',
  expired: 'UNAUTHENTICATED',
};
const expected = (op: Operation, role: Role): Outcome => op.expect[role] ?? DEFAULTS[role];

const secret = 'authorization-matrix-secret-long-enough';
const key = new TextEncoder().encode(secret);
const token = (sub: string, role: Role) => {
  const jwt = new SignJWT({ name: sub, ...(role === 'inactive' ? { status: 'banned' } : {}) }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub);
  return (role === 'expired' ? jwt.setExpirationTime(Math.floor(Date.now() / 1000) - 60) : jwt.setExpirationTime('1h')).sign(key);
};

for (const [storeName, makeStore] of STORES) {
  describe(`authorization matrix on ${storeName}`, () => {
    let running: ApiServer | null = null;
    let chat: ChatServices;
    let base: string;
    let skipped = false;
    let n = 0;
    const files = createMemoryAttachmentStore();

    beforeAll(async () => {
      running = await startApiServer(makeStore, jwtAuthenticator({ secret, algorithms: ['HS256'] }), { attachments: { storage: files } });
      if (running === null) {
        skipped = true;
        return;
      }
      ({ chat, base } = running);
    });
    afterAll(async () => {
      await running?.close();
    });

    /** A fresh group per case: owner, admin, member, target, a removed member; inactive and expired users are members too. */
    async function fixture(): Promise<{ f: Fixture; users: Record<Role, string> }> {
      const run = `${storeName}${(n += 1)}`;
      const users = Object.fromEntries(ROLES.map((role) => [role, `${role}-${run}`])) as Record<Role, string>;
      const target = `target-${run}`;
      const group = await chat.conversations.createGroupConversation(users.owner, {
        name: 'secret plans',
        memberIds: [users.admin, users.member, users.removed, users.inactive, users.expired, target],
      });
      await chat.conversations.updateMemberRole(group.id, users.owner, users.admin, 'admin');
      const ownerMessage = await chat.messages.sendMessage(users.owner, { conversationId: group.id, content: 'secret owner note' });
      const memberMessage = await chat.messages.sendMessage(users.member, { conversationId: group.id, content: 'secret member note' });
      const sentFile = await uploadFile(chat, files, users.owner, group.id, SAMPLE_FILES.png);
      const unsentFile = await uploadFile(chat, files, users.owner, group.id, SAMPLE_FILES.pdf, 'plan.pdf', 'application/pdf');
      await chat.messages.sendMessage(users.owner, { conversationId: group.id, type: 'image', attachmentIds: [sentFile] });
      await chat.conversations.removeMember(group.id, users.owner, users.removed);
      const targetMessage = await chat.messages.sendMessage(target, { conversationId: group.id, content: 'secret target note' });
      const report = await chat.moderation.reportMessage(memberMessage.id, target, { reason: 'spam' });
      const banned = `banned-${run}`;
      await chat.moderation.ban(group.id, users.owner, { userId: banned });
      return {
        f: { id: group.id, ownerMessage: ownerMessage.id, memberMessage: memberMessage.id, target, newcomer: `new-${run}`, sentFile, unsentFile, targetMessage: targetMessage.id, report: report.id, banned },
        users,
      };
    }

    async function viaRest(op: Operation, role: Role): Promise<Outcome> {
      const { f, users } = await fixture();
      const { method, path, body } = op.rest!(f);
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${await token(users[role], role)}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const json = (await res.json()) as { error?: { code: Outcome }; items?: unknown[]; facets?: unknown };
      if (json.error !== undefined) return json.error.code;
      expect(res.status).toBeLessThan(300);
      // A search answers with what the caller may see: nothing, outside their conversations.
      return json.facets !== undefined && json.items?.length === 0 ? 'empty' : 'ok';
    }

    async function viaWebSocket(op: Operation, role: Role): Promise<Outcome> {
      const { f, users } = await fixture();
      const ws = new WebSocket(`${base.replace('http', 'ws')}/chat`, ['parley', `bearer.${await token(users[role], role)}`]);
      try {
        const first = await new Promise<{ type: string; data: { code: Outcome } }>((resolve, reject) => {
          ws.once('message', (raw) => resolve(JSON.parse(raw.toString())));
          ws.once('error', reject);
        });
        if (first.type === 'connection_error') return first.data.code;
        const { type, data } = op.ws!(f);
        const reply = await new Promise<{ type: string; data: { code?: Outcome; errors?: Record<string, { code: Outcome }> } }>((resolve) => {
          ws.on('message', (raw) => {
            const frame = JSON.parse(raw.toString()) as { replyTo?: string };
            if (frame.replyTo === 'q') resolve(frame as never);
          });
          ws.send(JSON.stringify({ type, id: 'q', data }));
        });
        if (reply.type === 'error') return reply.data.code!;
        const syncError = reply.data.errors?.[f.id];
        return syncError === undefined ? 'ok' : syncError.code;
      } finally {
        ws.close();
      }
    }

    for (const op of OPERATIONS) {
      for (const role of ROLES) {
        if (op.rest !== undefined) {
          it(`REST: ${op.name} — ${role} → ${expected(op, role)}`, async () => {
            if (skipped) return;
            expect(await viaRest(op, role)).toBe(expected(op, role));
          });
        }
        if (op.ws !== undefined) {
          const outcome = expected(op, role);
          // Over WebSocket an inactive user or an expired token never gets a socket.
          const wsOutcome: Outcome = role === 'inactive' ? 'FORBIDDEN' : role === 'expired' ? 'UNAUTHENTICATED' : outcome;
          it(`WebSocket: ${op.name} — ${role} → ${wsOutcome}`, async () => {
            if (skipped) return;
            expect(await viaWebSocket(op, role)).toBe(wsOutcome);
          });
        }
      }
    }
  });
}
