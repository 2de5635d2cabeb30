import { createSqliteStore } from '@parley/adapter-sqlite';
import { createChatServices } from '@parley/core';

export function createServicesWithWebhooks(receiverUrl: string, secret: string, filename = './data/chat.db') {
  // #region config
  const chat = createChatServices({
    store: createSqliteStore({ filename }),
    webhooks: {
      endpoints: [
        // Every event, signed with this secret (32+ random bytes; keep it out of the code).
        { id: 'crm', url: receiverUrl, secret },
        // Only sends and reports, to another service:
        // { id: 'moderation', url: 'https://mod.example.com/parley', secret: other, events: ['message.sent', 'report.created'] },
      ],
      maxAttempts: 10, // then the delivery is dead: listed, and redelivered by hand
      timeoutMs: 10_000, // per attempt
    },
  });
  // #endregion
  return chat;
}

// #region admin
/** From your admin tools: what could not be delivered, and sending it again. */
export async function redeliverDeadWebhooks(chat: ReturnType<typeof createServicesWithWebhooks>): Promise<number> {
  const { items } = await chat.webhooks!.listDeliveries({ status: 'dead', limit: 100 });
  for (const delivery of items) await chat.webhooks!.redeliver(delivery.id); // the same delivery id
  return items.length;
}
// #endregion
