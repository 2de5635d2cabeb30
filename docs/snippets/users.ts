import type { Authenticate, ResolveUsers } from '@parley/core';

// Your own users and sessions (in memory here; a database in your app).
const users = new Map([
  ['alice', { id: 'alice', name: 'Alice', avatar: 'https://example.com/alice.png', status: 'active' }],
  ['bob', { id: 'bob', name: 'Bob', status: 'active' }],
  ['mallory', { id: 'mallory', name: 'Mallory', status: 'suspended' }],
]);
const sessions = new Map([['s-alice', 'alice'], ['s-bob', 'bob'], ['s-mallory', 'mallory']]);

/** For every REST request and every socket: the bearer token (or null) and the request. */
export const authenticate: Authenticate = async (token) => {
  const userId = token === null ? undefined : sessions.get(token);
  return (userId === undefined ? undefined : users.get(userId)) ?? null; // null: 401; not 'active': 403
};

/** Profiles for member lists and system messages; an id left out is an unknown user (404). */
export const resolveUsers: ResolveUsers = async (ids) =>
  ids.flatMap((id) => users.get(id) ?? []).map(({ id, name, avatar }) => ({ id, name, ...(avatar ? { avatar } : {}) }));
