import type { AttachmentStore, UploadTicket } from '../adapters/attachment-store.js';
import { servesInline } from '../adapter-kit/attachments.js';
import { ChatError } from '../domain/errors.js';
import type { CreateUploadInput } from '../domain/schemas.js';
import type { Attachment, AttachmentRecord } from '../domain/types.js';
import { validate } from '../domain/validate.js';
import { nowIso, type ServiceContext } from '../services/service-context.js';
import { newId } from '../util/ids.js';
import { sanitizeFileName } from './file-name.js';
import { sniffType, SNIFF_BYTES } from './sniff-type.js';

export interface AttachmentOptions {
  /** Where the bytes live: `@parley/attachments-local`, `@parley/attachments-s3`, or your own. */
  storage: AttachmentStore;
  /** An upload no message uses within this time is deleted. Default 24 h. */
  unusedTtlMs?: number;
  /** How long an upload URL stays valid (never past `unusedTtlMs`). Default 1 h. */
  uploadUrlTtlMs?: number;
  /** How long a download URL stays valid. Default 1 h. */
  downloadUrlTtlMs?: number;
  /** Upload slots per user per window, across nodes when the rate limiter is shared. Default 60 per 60 s. */
  uploadRate?: { limit: number; windowMs: number };
  /** How often unused and deleted files are purged. Default 60 s. */
  purgeIntervalMs?: number;
}

export type ResolvedAttachmentOptions = Required<AttachmentOptions>;

export const DEFAULT_ATTACHMENT_OPTIONS: Omit<ResolvedAttachmentOptions, 'storage'> = {
  unusedTtlMs: 24 * 3_600_000,
  uploadUrlTtlMs: 3_600_000,
  downloadUrlTtlMs: 3_600_000,
  uploadRate: { limit: 60, windowMs: 60_000 },
  purgeIntervalMs: 60_000,
};

/** An attachment as its uploader and members see it: the row without where its bytes live. */
export type AttachmentInfo = Omit<AttachmentRecord, 'storageKey'>;

/** What `createUpload` answers: the new attachment, and how to upload its bytes. */
export interface UploadSlot {
  attachment: AttachmentInfo;
  upload: UploadTicket & { expiresAt: string };
}

/** A signed, expiring link to an attachment's bytes. */
export interface AttachmentDownload {
  attachmentId: string;
  url: string;
  expiresAt: string;
  name: string;
  mimeType: string;
  size: number;
  /** The browser shows it in place (safe image types); everything else downloads. */
  inline: boolean;
}

/**
 * File uploads (the seed's fifth improvement). A client asks for an upload slot, uploads the
 * bytes straight to the storage with the signed request it gets, then sends a message naming
 * the attachment's id. Parley checks what arrived — the size, and the real type sniffed from
 * the bytes — before any message may use it; the message's insert claims it, so each upload
 * belongs to one message; only members of that conversation obtain download links.
 */
export class AttachmentService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly options: ResolvedAttachmentOptions | null,
  ) {}

  /** True when a storage is configured. */
  get enabled(): boolean {
    return this.options !== null;
  }

  /** Where the bytes live, when uploads are enabled. */
  get storage(): AttachmentStore | null {
    return this.options?.storage ?? null;
  }

  /** Reserves an attachment for a file of `size` bytes in a conversation the caller is in. */
  async createUpload(userId: string, input: CreateUploadInput): Promise<UploadSlot> {
    const { storage, unusedTtlMs, uploadUrlTtlMs, uploadRate } = this.configured();
    const actor = this.userId(userId);
    const data = validate(this.ctx.schemas.createUpload, input, 'input');
    const role = await this.ctx.membership.require(data.conversationId, actor);
    const facts = await this.ctx.membership.facts(data.conversationId);
    if (facts !== null) this.ctx.capabilities.require(facts.type, role, 'upload', 'You cannot upload files in this conversation');
    await this.ctx.rateLimits.consume(`uploads:${actor}`, uploadRate, 'uploads');
    const now = this.ctx.now();
    const id = newId();
    const record: AttachmentRecord = {
      id,
      conversationId: data.conversationId,
      uploaderId: actor,
      storageKey: id,
      name: sanitizeFileName(data.name),
      declaredType: data.mimeType.toLowerCase(),
      mimeType: null,
      size: data.size,
      status: 'pending',
      messageId: null,
      createdAt: new Date(now).toISOString(),
      completedAt: null,
      expiresAt: new Date(now + unusedTtlMs).toISOString(),
    };
    // The row first: bytes uploaded under a key always have a row the purge will find.
    await this.ctx.store.createAttachment(record);
    const expiresAt = new Date(now + Math.min(uploadUrlTtlMs, unusedTtlMs));
    const ticket = await storage.createUpload({ key: record.storageKey, size: record.size, contentType: record.declaredType, expiresAt });
    return { attachment: info(record), upload: { ...ticket, expiresAt: expiresAt.toISOString() } };
  }

  /**
   * Checks the uploaded bytes — all of them arrived, no more — and records their real type.
   * Sending a message with the attachment does this too when it was not done; calling it
   * first tells the client at once whether the upload is good.
   */
  async completeUpload(userId: string, attachmentId: string): Promise<AttachmentInfo> {
    const actor = this.userId(userId);
    const id = validate(this.ctx.schemas.id, attachmentId, 'attachmentId');
    const record = await this.ctx.store.getAttachment(id);
    if (record === null || record.uploaderId !== actor || record.status === 'purging') throw ChatError.notFound('Attachment', 'attachmentId');
    return info(await this.complete(record, 'attachmentId'));
  }

  /**
   * A signed link to an attachment's bytes, for members of the conversation whose message
   * uses it (and for its uploader before it is sent). Anyone else gets NOT_FOUND.
   */
  async getDownload(userId: string, attachmentId: string): Promise<AttachmentDownload> {
    const { storage, downloadUrlTtlMs } = this.configured();
    const actor = this.userId(userId);
    const id = validate(this.ctx.schemas.id, attachmentId, 'attachmentId');
    const found = await this.ctx.store.getAttachment(id);
    if (found === null || found.status === 'purging' || !(await this.mayRead(found, actor))) throw ChatError.notFound('Attachment', 'attachmentId');
    // Its uploader may ask before completing (a preview on another device): check it now.
    const record = await this.complete(found, 'attachmentId');
    const expiresAt = new Date(this.ctx.now() + downloadUrlTtlMs);
    const mimeType = record.mimeType!;
    const inline = servesInline(mimeType);
    const { url } = await storage.createDownload({ key: record.storageKey, fileName: record.name, contentType: mimeType, inline, expiresAt });
    return { attachmentId: record.id, url, expiresAt: expiresAt.toISOString(), name: record.name, mimeType, size: record.size, inline };
  }

  /**
   * The attachments a send names, checked and completed, as the message will carry them.
   * The insert claims them again atomically; this gives the precise error beforehand.
   */
  async forSend(senderId: string, conversationId: string, attachmentIds: string[]): Promise<Attachment[]> {
    this.configured('attachmentIds');
    const records = await Promise.all(attachmentIds.map((id) => this.ctx.store.getAttachment(id)));
    const result: Attachment[] = [];
    for (const [index, found] of records.entries()) {
      const field = `attachmentIds.${index}`;
      if (found === null || found.uploaderId !== senderId || found.status === 'purging') throw ChatError.notFound('Attachment', field);
      if (found.conversationId !== conversationId) throw ChatError.validation(field, 'was uploaded for another conversation');
      if (found.messageId !== null) throw new ChatError('CONFLICT', 'This attachment is already used by another message', { field });
      const record = await this.complete(found, field);
      result.push({ id: record.id, name: record.name, mimeType: record.mimeType!, size: record.size });
    }
    return result;
  }

  private async complete(record: AttachmentRecord, field: string): Promise<AttachmentRecord> {
    if (record.status !== 'pending') return record;
    const { storage } = this.configured(field);
    const stored = await storage.inspect(record.storageKey, SNIFF_BYTES);
    if (stored === null) throw new ChatError('CONFLICT', 'Nothing was uploaded for this attachment yet', { field });
    if (stored.size !== record.size) {
      // Storages write once, so bytes of the wrong size (kept by a lenient storage) would block
      // the upload for good: drop them, so the whole file can be uploaded again with the link.
      await storage.delete([record.storageKey]).catch((error: unknown) => {
        this.ctx.logger.warn('could not delete an upload of the wrong size', { attachmentId: record.id, error: String(error) });
      });
      throw new ChatError('CONFLICT', `The upload has ${stored.size} bytes, not the ${record.size} announced; upload the whole file again`, {
        field,
        received: stored.size,
        expected: record.size,
      });
    }
    const mimeType = await sniffType(stored.head, record.declaredType);
    const completed = await this.ctx.store.completeAttachment(record.id, mimeType, nowIso(this.ctx));
    if (completed === null || completed.status === 'purging') throw ChatError.notFound('Attachment', field);
    return completed;
  }

  private async mayRead(record: AttachmentRecord, actor: string): Promise<boolean> {
    if (record.messageId === null) return record.uploaderId === actor;
    const [member, message] = await Promise.all([
      this.ctx.store.getMember(record.conversationId, actor),
      this.ctx.store.getMessage(record.messageId, actor),
    ]);
    return member !== null && message !== null && !message.deletedForEveryone;
  }

  private configured(field = 'attachmentId'): ResolvedAttachmentOptions {
    if (this.options === null) {
      throw new ChatError('NOT_FOUND', 'File uploads are not enabled on this server (createChatServices({ attachments: { storage } }))', { field });
    }
    return this.options;
  }

  private userId(userId: string): string {
    return validate(this.ctx.schemas.id, userId, 'userId');
  }
}

function info({ storageKey: _key, ...rest }: AttachmentRecord): AttachmentInfo {
  return rest;
}
