import { createServer, type Server } from 'node:http';
import { verifyWebhook, type WebhookEvent } from '@parley/core';

/**
 * A receiver for Parley's webhooks: reads the raw body, checks the signature and the timestamp,
 * skips a delivery it has already handled, and answers 2xx only once the event is handled
 * (anything else, or no answer within the timeout, makes Parley retry).
 */
export function createWebhookReceiver(secret: string, handle: (event: WebhookEvent) => Promise<void>): Server {
  const handled = new Set<string>(); // In your app: a table with a unique key on the delivery id.
  return createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let delivery;
    try {
      delivery = verifyWebhook({ body: Buffer.concat(chunks), headers: req.headers, secret });
    } catch {
      res.writeHead(401).end(); // Not from Parley (or replayed more than 5 minutes later).
      return;
    }
    if (!handled.has(delivery.deliveryId)) {
      await handle(delivery.event); // Throwing here answers 500: Parley tries again later.
      handled.add(delivery.deliveryId);
    }
    res.writeHead(204).end();
  });
}
