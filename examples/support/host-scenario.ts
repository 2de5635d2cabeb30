import { SignJWT } from 'jose';
import { WebSocket } from 'ws';
import { expect } from 'vitest';
import { DATABASE_URL, REDIS_URL } from '../../test-support/services.js';

/**
 * What every host example must do, over real HTTP and a real WebSocket: JWT-authenticated
 * REST under /api, the WebSocket at /chat (token in a header or in the subprotocol), a
 * message sent on one side arriving on the other, and the host's own routes untouched.
 */
export async function driveHost(url: string, secret: string, hostText: RegExp | null): Promise<void> {
  const token = (sub: string) =>
    new SignJWT({ sub, name: sub.toUpperCase() }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(secret));
  const [ann, ben] = [await token('ann'), await token('ben')];
  const api = async (bearer: string | null, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}/api${path}`, {
      method,
      headers: { ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }), 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as any };
  };

  if (hostText !== null) expect(await (await fetch(url)).text()).toMatch(hostText);
  expect((await fetch(`${url}/api/health`)).status).toBe(200);
  expect((await api(null, 'GET', '/conversations')).status).toBe(401);
  const group = await api(ann, 'POST', '/conversations/group', { name: 'Host test', memberIds: ['ben'] });
  expect(group.status).toBe(201);

  const open = (ws: WebSocket) => {
    const frames: any[] = [];
    ws.on('message', (raw) => frames.push(JSON.parse(raw.toString())));
    return frames;
  };
  const annWs = new WebSocket(`${url.replace('http', 'ws')}/chat`, { headers: { authorization: `Bearer ${ann}` } });
  const benWs = new WebSocket(`${url.replace('http', 'ws')}/chat`, ['parley', `bearer.${ben}`]);
  const annFrames = open(annWs);
  const benFrames = open(benWs);
  await expect.poll(() => annFrames.some((f) => f.type === 'connected') && benFrames.some((f) => f.type === 'connected')).toBe(true);
  annWs.send(JSON.stringify({ type: 'send_message', id: 1, data: { conversationId: group.json.id, content: 'hi ben', tempId: 't1' } }));
  await expect.poll(() => annFrames.find((f) => f.replyTo === 1)?.type).toBe('message_sent');
  await expect.poll(() => benFrames.some((f) => f.type === 'new_message' && f.data.message.content === 'hi ben')).toBe(true);
  const listed = await api(ben, 'GET', '/conversations');
  expect(listed.json.items[0].unreadCount).toBe(1);
  expect(listed.json.items[0].lastMessage.content).toBe('hi ben');
  await api(ben, 'POST', '/conversations/messages/read', { conversationId: group.json.id });
  await expect.poll(() => annFrames.some((f) => f.type === 'messages_read' && f.data.userId === 'ben')).toBe(true);
  annWs.close();
  benWs.close();
}

/** Drops what an example left in Postgres (its schema) and Redis (its key prefix). */
export async function dropStack(schema: string): Promise<void> {
  const pg = (await import('pg')).default;
  const db = new pg.Client({ connectionString: DATABASE_URL });
  await db.connect();
  await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await db.end();
  const { Redis } = await import('ioredis');
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${schema}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
}
