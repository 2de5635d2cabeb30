/** Random, unguessable ids. `globalThis.crypto` keeps core free of node: imports. */
export function newId(): string {
  return globalThis.crypto.randomUUID();
}

/** The unique key of a direct conversation: the pair, sorted, so (a, b) and (b, a) agree. */
export function directKey(userA: string, userB: string): string {
  return userA < userB ? `${userA}\u0000${userB}` : `${userB}\u0000${userA}`;
}
