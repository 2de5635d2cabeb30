import { ChatError } from '../domain/errors.js';
import { MUTED_FOREVER } from '../domain/limits.js';
import type { BanInput, ReportInput, ResolveAction, SilenceInput } from '../domain/schemas.js';
import type { AuditEntry, Ban, Member, Page, Report, ReportStatus } from '../domain/types.js';
import { validate } from '../domain/validate.js';
import { decodeCursor, encodeCursor } from '../util/cursor.js';
import { directKey, newId } from '../util/ids.js';
import { announceMembershipChange, announceUpdate } from './announcements.js';
import type { ActionContext } from './chat-events.js';
import { banDecision, silenceDecision, slowModeDecision, unbanDecision, type AuditStamp } from './conversation-rules.js';
import type { MessageService } from './message-service.js';
import { nowIso, type ServiceContext } from './service-context.js';
import { displayNames, postSystemMessage } from './system-messages.js';

type TimeCursor = { t: string; i: string };
const isTimeCursor = (v: unknown): v is TimeCursor =>
  typeof v === 'object' && v !== null && typeof (v as TimeCursor).t === 'string' && typeof (v as TimeCursor).i === 'string';

/**
 * The moderation kit (issue 13): bans, muting members, slow mode, blocks between users, and
 * reports into a review queue with resolve actions. Every moderation action needs the
 * `moderate` capability in that conversation (admins and the owner by default), is decided
 * atomically by the store, and is recorded in the conversation's audit log in the same
 * transaction.
 */
export class ModerationService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly messages: MessageService,
  ) {}

  /**
   * Bans a user from a group: removed when a member, and refused by every later add until the
   * ban is lifted or expires (`until`).
   */
  async ban(conversationId: string, actorId: string, input: BanInput, origin: ActionContext = {}): Promise<Ban> {
    const { id, actor } = this.ids(conversationId, actorId);
    const data = validate(this.ctx.schemas.ban, input, 'input');
    const stamp = this.stamp({ reason: data.reason ?? null, until: data.until ?? null });
    const until = this.future(data.until, 'until');
    const change = await this.ctx.store.changeConversation(
      id,
      stamp.at,
      this.ctx.webhooks.conversationChange(actor, banDecision(actor, data.userId, { reason: data.reason ?? null, expiresAt: until }, this.ctx.capabilities, stamp)),
    );
    const members = change.members.map((m) => m.userId);
    if (change.value.removed) {
      await announceMembershipChange(this.ctx, id, { added: [], removed: [data.userId] }, [...members, data.userId], 'member_removed', { userId: data.userId, removedBy: actor, banned: true }, origin);
      const names = await displayNames(this.ctx, [actor, data.userId]);
      await postSystemMessage(this.ctx, id, actor, `${names.get(actor)} removed ${names.get(data.userId)}`, { event: 'member_banned', userId: data.userId }, origin);
    }
    announceUpdate(this.ctx, id, 'member_banned', { userId: data.userId, bannedBy: actor, until }, await this.moderatorsOf(id), origin);
    return { conversationId: id, userId: data.userId, bannedBy: actor, reason: data.reason ?? null, createdAt: stamp.at, expiresAt: until };
  }

  async unban(conversationId: string, actorId: string, userId: string, origin: ActionContext = {}): Promise<void> {
    const { id, actor } = this.ids(conversationId, actorId);
    const target = validate(this.ctx.schemas.id, userId, 'userId');
    const stamp = this.stamp();
    await this.ctx.store.changeConversation(id, stamp.at, this.ctx.webhooks.conversationChange(actor, unbanDecision(actor, target, this.ctx.capabilities, stamp)));
    announceUpdate(this.ctx, id, 'member_unbanned', { userId: target, by: actor }, await this.moderatorsOf(id), origin);
  }

  /** The bans in force, for moderators. */
  async listBans(conversationId: string, actorId: string): Promise<Ban[]> {
    const { id, actor } = this.ids(conversationId, actorId);
    const change = await this.ctx.store.changeConversation(id, nowIso(this.ctx), (state) => {
      const member = state?.members.find((m) => m.userId === actor);
      if (state === null || member === undefined) throw ChatError.notFound('Conversation', 'conversationId');
      this.ctx.capabilities.require(state.conversation.type, member.role, 'moderate', 'Only a moderator can see the bans');
      return { plan: {}, value: state.bans };
    });
    return change.value;
  }

  /** Mutes a member: they keep reading, but cannot send or edit until `until` (absent: until lifted). */
  async silenceMember(conversationId: string, actorId: string, input: SilenceInput, origin: ActionContext = {}): Promise<Member> {
    const { id, actor } = this.ids(conversationId, actorId);
    const data = validate(this.ctx.schemas.silence, input, 'input');
    const until = this.future(data.until, 'until') ?? MUTED_FOREVER;
    const stamp = this.stamp({ until });
    const change = await this.ctx.store.changeConversation(id, stamp.at, this.ctx.webhooks.conversationChange(actor, silenceDecision(actor, data.userId, until, this.ctx.capabilities, stamp)));
    announceUpdate(this.ctx, id, 'member_silenced', { userId: data.userId, until, by: actor }, change.members.map((m) => m.userId), origin);
    return change.value;
  }

  async unsilenceMember(conversationId: string, actorId: string, userId: string, origin: ActionContext = {}): Promise<Member> {
    const { id, actor } = this.ids(conversationId, actorId);
    const target = validate(this.ctx.schemas.id, userId, 'userId');
    const stamp = this.stamp();
    const change = await this.ctx.store.changeConversation(id, stamp.at, this.ctx.webhooks.conversationChange(actor, silenceDecision(actor, target, null, this.ctx.capabilities, stamp)));
    announceUpdate(this.ctx, id, 'member_unsilenced', { userId: target, by: actor }, change.members.map((m) => m.userId), origin);
    return change.value;
  }

  /** Slow mode: each member (moderators excepted) sends at most one message per `seconds`; 0 turns it off. */
  async setSlowMode(conversationId: string, actorId: string, seconds: number, origin: ActionContext = {}): Promise<{ conversationId: string; slowModeSeconds: number }> {
    const { id, actor } = this.ids(conversationId, actorId);
    const data = validate(this.ctx.schemas.slowMode, { seconds }, 'input');
    const stamp = this.stamp({ seconds: data.seconds });
    const change = await this.ctx.store.changeConversation(id, stamp.at, this.ctx.webhooks.conversationChange(actor, slowModeDecision(actor, data.seconds, this.ctx.capabilities, stamp)));
    const members = change.members.map((m) => m.userId);
    // The cached facts of every node hold the old setting: drop them.
    await announceMembershipChange(this.ctx, id, { added: [], removed: [] }, members, 'slow_mode_changed', { slowModeSeconds: data.seconds, by: actor }, origin);
    const names = await displayNames(this.ctx, [actor]);
    const text = data.seconds === 0 ? `${names.get(actor)} turned slow mode off` : `${names.get(actor)} turned slow mode on: one message every ${data.seconds} s`;
    await postSystemMessage(this.ctx, id, actor, text, { event: 'slow_mode_changed', seconds: data.seconds }, origin);
    return { conversationId: id, slowModeSeconds: data.seconds };
  }

  /**
   * The user blocks another: while either blocks the other, their direct conversation takes no
   * messages and no new one can be opened. Blocks are private: the other user is not told.
   */
  async blockUser(userId: string, targetId: string): Promise<{ userId: string; blocked: boolean }> {
    return this.setBlock(userId, targetId, true);
  }

  async unblockUser(userId: string, targetId: string): Promise<{ userId: string; blocked: boolean }> {
    return this.setBlock(userId, targetId, false);
  }

  async listBlockedUsers(userId: string): Promise<string[]> {
    return this.ctx.store.listBlocked(validate(this.ctx.schemas.id, userId, 'userId'));
  }

  /** True when either of the two blocks the other. */
  async isBlockedBetween(a: string, b: string): Promise<boolean> {
    return (await this.ctx.store.blocksAmong([a, b])).length > 0;
  }

  /**
   * Flags a message for the conversation's moderators. One report per user and message: a
   * second answers the first.
   */
  async reportMessage(messageId: string, reporterId: string, input: ReportInput, origin: ActionContext = {}): Promise<Report> {
    const { message, actor } = await this.messages.requireMessage(messageId, reporterId);
    const data = validate(this.ctx.schemas.report, input, 'input');
    if (message.senderId === actor) throw ChatError.validation('messageId', 'must be someone else’s message');
    if (message.type === 'system') throw ChatError.validation('messageId', 'must not be a system message');
    const filed: Report = {
      id: newId(),
      conversationId: message.conversationId,
      messageId: message.id,
      reporterId: actor,
      reason: data.reason,
      note: data.note ?? null,
      status: 'open',
      createdAt: nowIso(this.ctx),
      resolvedBy: null,
      resolvedAt: null,
      resolution: null,
    };
    const { report, created } = await this.ctx.store.createReport(filed, this.ctx.webhooks.reportCreated(filed));
    if (created) announceUpdate(this.ctx, message.conversationId, 'message_reported', { report }, await this.moderatorsOf(message.conversationId), origin);
    return report;
  }

  /** A conversation's reports, oldest first, for its moderators. */
  async listReports(conversationId: string, actorId: string, options: { status?: ReportStatus; limit?: number; cursor?: string } = {}): Promise<Page<Report>> {
    const { id, actor } = this.ids(conversationId, actorId);
    await this.requireModerator(id, actor);
    return this.reviewQueue({ ...options, conversationId: id });
  }

  /** The host's review queue across every conversation (no permission check: call it from your admin tools). */
  async reviewQueue(options: { conversationId?: string; status?: ReportStatus; limit?: number; cursor?: string } = {}): Promise<Page<Report>> {
    const limit = validate(this.ctx.schemas.pageLimit, options.limit, 'limit');
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor, 'cursor', isTimeCursor);
    if (options.status !== undefined && options.status !== 'open' && options.status !== 'resolved') throw ChatError.validation('status', 'must be open or resolved');
    const rows = await this.ctx.store.listReports({
      ...(options.conversationId === undefined ? {} : { conversationId: options.conversationId }),
      ...(options.status === undefined ? {} : { status: options.status }),
      limit: limit + 1,
      ...(after === undefined ? {} : { after: { createdAt: after.t, id: after.i } }),
    });
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor({ t: last.createdAt, i: last.id }) : null };
  }

  /**
   * Resolves a report as a moderator of its conversation: `dismiss` it, `delete` the message
   * for everyone, or `ban` its author (and delete the message). Deleting or banning resolves
   * every open report of that message. A report another moderator resolved first is CONFLICT.
   */
  async resolveReport(reportId: string, actorId: string, action: ResolveAction, origin: ActionContext = {}): Promise<Report[]> {
    const id = validate(this.ctx.schemas.id, reportId, 'reportId');
    const actor = validate(this.ctx.schemas.id, actorId, 'userId');
    const { action: chosen } = validate(this.ctx.schemas.resolveReport, { action }, 'input');
    const report = await this.ctx.store.getReport(id);
    if (report === null || (await this.ctx.store.getMember(report.conversationId, actor)) === null) throw ChatError.notFound('Report', 'reportId');
    await this.requireModerator(report.conversationId, actor);
    if (report.status !== 'open') throw new ChatError('CONFLICT', 'This report is resolved already', { field: 'reportId' });
    const message = await this.ctx.store.getMessage(report.messageId);
    if (chosen !== 'dismiss' && message !== null && !message.deletedForEveryone) {
      await this.messages.deleteMessage(message.id, actor, true, origin);
    }
    if (chosen === 'ban' && message !== null) {
      await this.ban(report.conversationId, actor, { userId: message.senderId, reason: `report ${report.id}: ${report.reason}` }, origin);
    }
    const resolution = chosen === 'dismiss' ? 'dismissed' : chosen === 'delete' ? 'deleted' : 'banned';
    const at = nowIso(this.ctx);
    const audit: AuditEntry = {
      id: newId(),
      conversationId: report.conversationId,
      actorId: actor,
      action: 'report_resolved',
      targetUserId: message?.senderId ?? null,
      messageId: report.messageId,
      data: { reportId: report.id, resolution },
      createdAt: at,
    };
    const resolved = await this.ctx.store.resolveReports(
      chosen === 'dismiss' ? { reportId: report.id } : { messageId: report.messageId },
      resolution,
      actor,
      at,
      audit,
      this.ctx.webhooks.reportsResolved(),
    );
    if (resolved.length === 0) throw new ChatError('CONFLICT', 'This report was resolved by another moderator meanwhile', { field: 'reportId' });
    announceUpdate(this.ctx, report.conversationId, 'report_resolved', { reports: resolved }, await this.moderatorsOf(report.conversationId), origin);
    return resolved;
  }

  /** A conversation's moderation log, newest first, for its moderators. */
  async auditLog(conversationId: string, actorId: string, options: { limit?: number; cursor?: string } = {}): Promise<Page<AuditEntry>> {
    const { id, actor } = this.ids(conversationId, actorId);
    await this.requireModerator(id, actor);
    const limit = validate(this.ctx.schemas.pageLimit, options.limit, 'limit');
    const before = options.cursor === undefined ? undefined : decodeCursor(options.cursor, 'cursor', isTimeCursor);
    const rows = await this.ctx.store.listAudit(id, { limit: limit + 1, ...(before === undefined ? {} : { before: { createdAt: before.t, id: before.i } }) });
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor({ t: last.createdAt, i: last.id }) : null };
  }

  private async setBlock(userId: string, targetId: string, blocked: boolean): Promise<{ userId: string; blocked: boolean }> {
    const actor = validate(this.ctx.schemas.id, userId, 'userId');
    const target = validate(this.ctx.schemas.id, targetId, 'userId');
    if (target === actor) throw ChatError.validation('userId', 'must be another user than yourself');
    const changed = await this.ctx.store.setBlock(actor, target, blocked, nowIso(this.ctx));
    if (changed) {
      // The pair's direct conversation caches "blocked" on every node: drop it everywhere.
      const conversationId = await this.ctx.store.findDirectConversation(directKey(actor, target));
      if (conversationId !== null) {
        this.ctx.membership.invalidate(conversationId);
        this.ctx.events.emit('membership_changed', { conversationId, added: [], removed: [] });
      }
    }
    return { userId: target, blocked };
  }

  /** Members whose role may moderate: who hears of reports and bans. */
  private async moderatorsOf(conversationId: string): Promise<string[]> {
    const [roles, facts] = await Promise.all([this.ctx.membership.roles(conversationId), this.ctx.membership.facts(conversationId)]);
    if (facts === null) return [];
    return [...roles].filter(([, role]) => this.ctx.capabilities.has(facts.type, role, 'moderate')).map(([userId]) => userId);
  }

  private async requireModerator(conversationId: string, actor: string): Promise<void> {
    const member = await this.ctx.store.getMember(conversationId, actor);
    const facts = member === null ? null : await this.ctx.membership.facts(conversationId);
    if (member === null || facts === null) throw ChatError.notFound('Conversation', 'conversationId');
    this.ctx.capabilities.require(facts.type, member.role, 'moderate', 'Only a moderator can do this');
  }

  /** A time in the future, or null (no end). */
  private future(value: string | null | undefined, field: string): string | null {
    if (value === undefined || value === null) return null;
    const iso = new Date(value).toISOString();
    if (iso <= nowIso(this.ctx)) throw ChatError.validation(field, 'must be in the future');
    return iso;
  }

  private stamp(data?: Record<string, unknown>): AuditStamp {
    return { id: newId(), at: nowIso(this.ctx), ...(data === undefined ? {} : { data }) };
  }

  private ids(conversationId: string, userId: string): { id: string; actor: string } {
    return { id: validate(this.ctx.schemas.id, conversationId, 'conversationId'), actor: validate(this.ctx.schemas.id, userId, 'userId') };
  }
}
