/** One earlier text of an edited message: what it said from `createdAt` until an edit replaced it at `replacedAt`. */
export interface MessageVersion {
  messageId: string;
  content: string | null;
  /** When this text was written: the message's creation, or the edit that wrote it. */
  createdAt: string;
  replacedAt: string;
}

/** `getMessageHistory`: the message as it is now and every earlier text, oldest first. */
export interface MessageHistory {
  messageId: string;
  conversationId: string;
  /** The current text (null once deleted for everyone, which also clears the history). */
  content: string | null;
  editedAt: string | null;
  /** Earlier texts, oldest first, from the `offset` asked for. */
  versions: MessageVersion[];
  /** More versions follow: ask again with `offset` + `versions.length`. */
  hasMore: boolean;
}
