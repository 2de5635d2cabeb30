import { ChatError } from './errors.js';
import { CAPABILITIES, type Capability, type ConversationType, type MemberRole } from './types.js';

/** What each role may do, per conversation type. */
export type CapabilityTable = { [T in ConversationType]: { [R in MemberRole]: readonly Capability[] } };

/** A host's changes: any type and role given replaces that list. */
export type CapabilityOverrides = { [T in ConversationType]?: { [R in MemberRole]?: readonly Capability[] } };

const EVERYONE: readonly Capability[] = ['send', 'upload', 'react', 'editOwn', 'deleteOwn', 'pin'];

/**
 * Parley's permission rules as one table (the rules SPEC §3 describes): everyone sends, uploads,
 * reacts, pins and edits or deletes their own messages; in groups admins also manage members,
 * change the group's info, delete others' messages, mention everyone and moderate; the owner
 * alone changes roles and removes admins. A direct conversation has two plain members.
 */
export const DEFAULT_CAPABILITIES: CapabilityTable = {
  group: {
    owner: CAPABILITIES,
    admin: [...EVERYONE, 'deleteOthers', 'mentionEveryone', 'changeInfo', 'manageMembers', 'moderate'],
    member: EVERYONE,
  },
  direct: { owner: EVERYONE, admin: EVERYONE, member: EVERYONE },
};

/**
 * The one place permissions are checked. Structural rules stay where they belong (nobody
 * removes the owner, a direct conversation has no members to manage); everything a host may
 * want to change — "only admins post in announcements", "members may not upload" — is here.
 */
export class Capabilities {
  private readonly table: { [T in ConversationType]: { [R in MemberRole]: ReadonlySet<Capability> } };
  /** True when every role of every type may send: sends then skip looking up the type. */
  readonly everyoneSends: boolean;

  constructor(overrides: CapabilityOverrides = {}) {
    const build = (type: ConversationType) => {
      const roles = {} as { [R in MemberRole]: ReadonlySet<Capability> };
      for (const role of ['owner', 'admin', 'member'] as const) roles[role] = new Set(overrides[type]?.[role] ?? DEFAULT_CAPABILITIES[type][role]);
      return roles;
    };
    this.table = { group: build('group'), direct: build('direct') };
    this.everyoneSends = Object.values(this.table).every((roles) => Object.values(roles).every((set) => set.has('send')));
  }

  has(type: ConversationType, role: MemberRole, capability: Capability): boolean {
    return this.table[type][role].has(capability);
  }

  /** In the table's order, for clients (`ConversationListItem.capabilities`). */
  list(type: ConversationType, role: MemberRole): Capability[] {
    const set = this.table[type][role];
    return CAPABILITIES.filter((c) => set.has(c));
  }

  /** FORBIDDEN with `message` unless the role has the capability. */
  require(type: ConversationType, role: MemberRole, capability: Capability, message: string): void {
    if (!this.has(type, role, capability)) throw new ChatError('FORBIDDEN', message, { capability });
  }
}
