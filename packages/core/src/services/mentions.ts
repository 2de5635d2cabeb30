import type { Capabilities } from '../domain/capabilities.js';
import { ChatError } from '../domain/errors.js';
import type { ConversationType, MemberRole } from '../domain/types.js';

/**
 * Checks a send's mentions: each one a member of the conversation (so nobody can be pinged
 * through a conversation they are not in), and `@everyone` only for roles with the
 * `mentionEveryone` capability. Answers the mentions to store (repeats already dropped by
 * the schema).
 */
export function checkMentions(
  input: { mentions: string[]; mentionEveryone?: boolean | undefined },
  memberIds: readonly string[],
  who: { type: ConversationType; role: MemberRole },
  capabilities: Capabilities,
): { mentions: string[]; mentionEveryone: boolean } {
  const members = new Set(memberIds);
  const strangers = input.mentions.filter((id) => !members.has(id));
  if (strangers.length > 0) {
    throw new ChatError('VALIDATION_FAILED', `mentions must name members of the conversation (not: ${strangers.slice(0, 5).join(', ')})`, {
      field: 'mentions',
      userIds: strangers,
    });
  }
  const everyone = input.mentionEveryone === true;
  if (everyone) capabilities.require(who.type, who.role, 'mentionEveryone', 'You cannot mention everyone in this conversation');
  return { mentions: input.mentions, mentionEveryone: everyone };
}
