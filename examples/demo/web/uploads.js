// Files in the composer: each one uploads as soon as it is picked, pasted or dropped, with a
// progress bar; images get a thumbnail drawn here with a canvas (the server has no image
// library), uploaded beside them, so readers load a small picture and open the full one.

import { formatSize } from './format.js';

const THUMB_MAX = 480;
/** An image this small needs no separate thumbnail. */
const THUMB_WORTH_BYTES = 150 * 1024;
const THUMB_IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/bmp', 'image/avif']);

let nextKey = 1;

/**
 * Draws a JPEG thumbnail of an image file, at most THUMB_MAX pixels on its long side.
 * Resolves { blob, width, height } (the original's size), or null when it is no image a
 * browser can draw.
 */
export async function makeThumbnail(file) {
  if (!THUMB_IMAGE_TYPES.has(file.type)) return null;
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return null;
  }
  const { width, height } = bitmap;
  const scale = Math.min(1, THUMB_MAX / Math.max(width, height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  const context = canvas.getContext('2d');
  context.fillStyle = '#fff'; // JPEG has no transparency
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.82));
  return blob === null ? null : { blob, width, height };
}

/** The files attached in the composer, per conversation, until they are sent. */
export class UploadTray {
  constructor({ client, limits, onChange }) {
    this.client = client;
    this.limits = limits;
    this.onChange = onChange;
    this.tasks = [];
  }

  forConversation(conversationId) {
    return this.tasks.filter((t) => t.conversationId === conversationId);
  }

  /** Starts uploading files into a conversation; a file over the limits is refused with the reason. */
  add(conversationId, files) {
    for (const file of files) {
      const name = file.name || `pasted-${new Date().toISOString().replace(/[:.]/g, '-')}.${(file.type.split('/')[1] ?? 'bin').replace(/[^a-z0-9]/g, '')}`;
      const task = { key: nextKey++, conversationId, file, name, size: file.size, sent: 0, state: 'uploading', error: null, previewUrl: null, image: null, attachment: null, thumbnail: null, controller: new AbortController() };
      this.tasks.push(task);
      const taken = this.forConversation(conversationId).filter((t) => t.state !== 'failed').length;
      if (file.size > this.limits.maxAttachmentBytes) this.fail(task, `too large: ${formatSize(file.size)}, the limit is ${formatSize(this.limits.maxAttachmentBytes)}`);
      else if (taken > this.limits.maxAttachments) this.fail(task, `at most ${this.limits.maxAttachments} files per message`);
      else if (file.size === 0) this.fail(task, 'the file is empty');
      else task.promise = this.run(task);
    }
    this.onChange();
  }

  async run(task) {
    try {
      const thumb = await makeThumbnail(task.file);
      if (thumb !== null) {
        task.image = { width: thumb.width, height: thumb.height };
        task.previewUrl = URL.createObjectURL(thumb.blob);
        this.onChange();
      }
      const progress = (sent) => {
        task.sent = sent;
        this.onChange();
      };
      task.attachment = await this.client.upload(task.conversationId, task.file, { name: task.name, onProgress: progress, signal: task.controller.signal });
      // Room for the thumbnail: each counts as a file of the message.
      const files = this.forConversation(task.conversationId).filter((t) => t.state !== 'failed').length;
      if (thumb !== null && task.size > THUMB_WORTH_BYTES && files * 2 <= this.limits.maxAttachments) {
        task.thumbnail = await this.client.upload(task.conversationId, thumb.blob, { name: `thumbnail-${task.name.replace(/\.[^.]*$/, '')}.jpg`, signal: task.controller.signal });
      }
      task.state = 'done';
      task.sent = task.size;
    } catch (error) {
      this.fail(task, reason(error));
    }
    this.onChange();
  }

  fail(task, message) {
    task.state = 'failed';
    task.error = message;
  }

  remove(key) {
    const task = this.tasks.find((t) => t.key === key);
    if (task === undefined) return;
    task.controller.abort();
    if (task.previewUrl !== null) URL.revokeObjectURL(task.previewUrl);
    this.tasks = this.tasks.filter((t) => t !== task);
    this.onChange();
  }

  /**
   * Waits for a conversation's uploads and hands over what a message needs: the attachment
   * ids (thumbnails after their images) and metadata naming each image's thumbnail and size.
   * Throws when one failed (remove it first) — a message never leaves a file behind silently.
   */
  async takeReady(conversationId) {
    const tasks = this.forConversation(conversationId);
    await Promise.all(tasks.map((t) => t.promise));
    const failed = tasks.find((t) => t.state === 'failed');
    if (failed !== undefined) throw new Error(`${failed.name}: ${failed.error} — remove it to send the rest`);
    const attachmentIds = [];
    const images = {};
    for (const t of tasks) {
      attachmentIds.push(t.attachment.id);
      if (t.thumbnail !== null) attachmentIds.push(t.thumbnail.id);
      if (t.image !== null) images[t.attachment.id] = { ...t.image, ...(t.thumbnail === null ? {} : { thumbnail: t.thumbnail.id }) };
    }
    const allImages = tasks.length > 0 && tasks.every((t) => t.image !== null);
    return { attachmentIds, images, type: allImages ? 'image' : 'file', release: () => this.release(tasks) };
  }

  release(tasks) {
    for (const t of tasks) if (t.previewUrl !== null) URL.revokeObjectURL(t.previewUrl);
    this.tasks = this.tasks.filter((t) => !tasks.includes(t));
    this.onChange();
  }
}

/** Signed download links, asked for when a file is shown and kept until shortly before they expire. */
export class LinkCache {
  constructor(client, onChange) {
    this.client = client;
    this.onChange = onChange;
    this.links = new Map();
  }

  /** The link, or null while it is being asked for (onChange fires when it arrives). */
  get(attachmentId) {
    const held = this.links.get(attachmentId);
    if (held !== undefined && (held.pending || held.error || Date.parse(held.expiresAt) - Date.now() > 60_000)) return held.pending ? null : held;
    this.links.set(attachmentId, { pending: true });
    this.client
      .getAttachment(attachmentId)
      .then((link) => this.links.set(attachmentId, link))
      .catch((error) => this.links.set(attachmentId, { error: reason(error), expiresAt: new Date(Date.now() + 10_000).toISOString() }))
      .finally(() => this.onChange());
    return null;
  }
}

export function reason(error) {
  if (error?.code === 'RATE_LIMITED' && error.retryAfterMs !== undefined) return `too many uploads, try again in ${Math.ceil(error.retryAfterMs / 1000)} s`;
  if (error?.code === 'CLOSED') return 'cancelled';
  if (error?.code === 'DISCONNECTED') return 'the connection dropped; remove it and attach it again';
  return error?.message ?? String(error);
}
