import { createParleyClient, type ConversationListItem } from '@parley/client';
import { SignJWT } from 'jose';
import { WebSocket } from 'ws'; // Node 20 has no global WebSocket (browsers and Node 22 do)

const server = process.env.CHAT_URL ?? 'http://localhost:3000';
// Your backend signs a token when the user logs in; here we sign one for "alice" ourselves.
const secret = new TextEncoder().encode(process.env.JWT_SECRET!);
const getToken = () =>
  new SignJWT({ name: 'Alice' }).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setExpirationTime('1h').sign(secret);

const client = createParleyClient({ url: `${server.replace(/^http/, 'ws')}/chat`, restUrl: `${server}/api`, getToken, WebSocket });
client.on('new_message', ({ message }) => console.log(`${message.senderId}: ${message.content}`));

// Conversations are created over REST: open (or find) the direct one with bob.
const response = await fetch(`${server}/api/conversations/direct`, {
  method: 'POST',
  headers: { authorization: `Bearer ${await getToken()}`, 'content-type': 'application/json' },
  body: JSON.stringify({ recipientId: 'bob' }),
});
const conversation = (await response.json()) as ConversationListItem;
await client.openConversation(conversation.id); // loads the latest messages and keeps them live
const sent = await client.sendMessage({ conversationId: conversation.id, content: 'Hello, Bob!' });
console.log(`stored as message #${sent.seq}`);
