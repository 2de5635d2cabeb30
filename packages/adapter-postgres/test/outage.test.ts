import { existsSync } from 'node:fs';
import { ChatError, createChatServices } from '@parley/core';
import { sleep, waitFor } from '@parley/core/testing';
import { expect, it } from 'vitest';
import { startPrivatePostgres } from '../../../test-support/private-services.js';
import { describeWithService } from '../../../test-support/services.js';
import { createPostgresStore } from '../src/index.js';

const initdb = `${process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin'}/initdb`;
const missing = existsSync(initdb) ? null : `PostgreSQL's initdb is not at ${initdb} (set PG_BIN)`;

describeWithService('Postgres outage: a private server restarted under load', missing, () => {
  it('no false acknowledgement, UNAVAILABLE meanwhile, sends work again within 10 s, the process stays up', async () => {
    const server = await startPrivatePostgres();
    const chat = createChatServices({
      store: createPostgresStore({ connectionString: server.url, schema: 'outage', maxConnections: 6 }),
      limits: { messageRate: { limit: 1_000_000, windowMs: 1_000 } },
    });
    try {
      await chat.ready();
      const users = ['ann', 'ben', 'cat', 'dan'];
      const group = await chat.conversations.createGroupConversation('ann', { name: 'outage', memberIds: users.slice(1) });
      const acked = new Map<string, { id: string; at: number }>();
      const failed = new Map<string, string>();
      let running = true;
      let n = 0;
      const senders = users.map(async (user) => {
        while (running) {
          const key = `${user}-${(n += 1)}`;
          try {
            const message = await chat.messages.sendMessage(user, { conversationId: group.id, content: key, clientMessageId: key });
            acked.set(key, { id: message.id, at: Date.now() });
          } catch (error) {
            failed.set(key, error instanceof ChatError ? error.code : String(error));
            await sleep(25);
          }
        }
      });
      await waitFor(() => acked.size >= 100, 10_000, '100 messages before the outage');
      await server.stop('immediate'); // a crash: every backend killed
      const down = Date.now();
      await sleep(1_500);
      const failedWhileDown = failed.size;
      await server.start();
      const up = Date.now();
      await waitFor(() => [...acked.values()].some((a) => a.at > up), 10_000, 'a send acknowledged after the restart');
      const recoveredMs = Math.min(...[...acked.values()].filter((a) => a.at > up).map((a) => a.at)) - up;
      await sleep(500);
      running = false;
      await Promise.all(senders);

      // Every acknowledged message is stored, once, as acknowledged.
      const stored = await createPostgresStore({ connectionString: server.url, schema: 'outage', maxConnections: 1 });
      const rows = (await stored.pool.query<{ id: string; client_message_id: string }>('SELECT id, client_message_id FROM outage.messages')).rows;
      const byKey = new Map(rows.map((r) => [r.client_message_id, r.id]));
      const lost = [...acked].filter(([key, { id }]) => byKey.get(key) !== id);
      // Failures were outages, never bugs; resending them (same key) stores each at most once.
      const codes = new Set(failed.values());
      for (const key of failed.keys()) {
        const [user] = key.split('-');
        await chat.messages.sendMessage(user!, { conversationId: group.id, content: key, clientMessageId: key });
      }
      const after = (await stored.pool.query<{ client_message_id: string; n: string }>(
        'SELECT client_message_id, count(*) AS n FROM outage.messages WHERE client_message_id IS NOT NULL GROUP BY 1 HAVING count(*) > 1',
      )).rows;
      await stored.close!();
      console.info(
        `postgres outage: ${acked.size} acknowledged, ${failed.size} refused (${[...codes].join(', ')}), ${failedWhileDown} while down ` +
          `(${Date.now() - down} ms outage window observed), first send acknowledged ${recoveredMs} ms after the server was up, ` +
          `${lost.length} acknowledged but not stored, ${after.length} keys stored twice`,
      );
      expect(lost).toEqual([]);
      expect(after).toEqual([]);
      expect(failedWhileDown).toBeGreaterThan(0);
      expect([...codes]).toEqual(['UNAVAILABLE']);
      expect(recoveredMs).toBeLessThan(10_000);
    } finally {
      await chat.close();
      await server.destroy();
    }
  }, 60_000);
});
