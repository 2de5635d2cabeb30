import type { ParleyClient } from '@parley/client';

/** Uploads a file and sends it as a message. `server` is where Parley runs (`https://chat.example.com`). */
export async function sendFile(client: ParleyClient, server: string, conversationId: string, file: Blob, name: string) {
  // 1. An upload slot: the attachment's id, and a signed, short-lived request for its bytes.
  const { attachment, upload } = await client.request('create_upload', {
    conversationId,
    name,
    mimeType: file.type || 'application/octet-stream',
    size: file.size,
  });
  // 2. The bytes go straight to the storage, not through a socket frame.
  const response = await fetch(new URL(upload.url, server), { method: upload.method, headers: upload.headers, body: file });
  if (!response.ok) throw new Error(`The upload failed with HTTP ${response.status}`);
  // 3. The message names the attachment: Parley checks the size and sniffs the real type first.
  return client.sendMessage({ conversationId, type: file.type.startsWith('image/') ? 'image' : 'file', attachmentIds: [attachment.id] });
}

/** A signed, expiring link to an attachment, for members of its conversation only. */
export async function attachmentUrl(client: ParleyClient, server: string, attachmentId: string): Promise<string> {
  const { url } = await client.request('get_attachment', { attachmentId });
  return new URL(url, server).href;
}
