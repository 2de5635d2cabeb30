import { caseRunner, runRaceCase, type StoreConformanceOptions } from './harness.js';
import { attachmentCases, attachmentRaceCases } from './store/attachments.js';
import { changesCases } from './store/changes.js';
import { conversationCases } from './store/conversations.js';
import { editDeleteCases } from './store/edit-delete.js';
import { editHistoryCases } from './store/edit-history.js';
import { hookCases } from './store/hooks.js';
import { memberCases } from './store/members.js';
import { moderationCases, moderationRaceCases } from './store/moderation.js';
import { outboxCases } from './store/outbox.js';
import { raceCases } from './store/races.js';
import { paginationCases } from './store/pagination.js';
import { pinCases, pinRaceCases } from './store/pins.js';
import { rawRowCases } from './store/raw-rows.js';
import { reactionCases } from './store/reactions.js';
import { readStateCases } from './store/read-state.js';
import { searchCases } from './store/search.js';
import { retentionCases, retentionRaceCases } from './store/retention.js';
import { sendCases } from './store/send.js';
import { mentionCases } from './store/mentions.js';
import { threadCases, threadRaceCases } from './store/threads.js';
import { userDataCases } from './store/user-data.js';
import { webhookCases, webhookRaceCases } from './store/webhooks.js';

/**
 * The ChatStore conformance suite: every service method and permission rule, run through
 * the services over the store under test, with a fresh store per case. An adapter's test
 * file is a few lines:
 *
 *   runStoreConformance({ describe, it, createStore: () => createSqliteStore({ filename: ':memory:' }) });
 *
 * With `createStores(n)` (several instances over one database) it also races them.
 */
export function runStoreConformance(options: StoreConformanceOptions & { name?: string }): void {
  const test = caseRunner(options);
  options.describe(`ChatStore conformance${options.name === undefined ? '' : `: ${options.name}`}`, () => {
    options.describe('conversations', () => conversationCases(test));
    options.describe('members', () => memberCases(test));
    options.describe('sending', () => sendCases(test));
    options.describe('pagination', () => paginationCases(test));
    options.describe('edit and delete', () => editDeleteCases(test));
    options.describe('reactions', () => reactionCases(test));
    options.describe('read state and stats', () => readStateCases(test));
    options.describe('catch-up', () => changesCases(test));
    options.describe('search', () => searchCases(test));
    options.describe('notification outbox', () => outboxCases(test));
    options.describe('webhook deliveries', () => webhookCases(test));
    options.describe('attachments', () => attachmentCases(test));
    options.describe('threads', () => threadCases(test));
    options.describe('mentions', () => mentionCases(test));
    options.describe('pins', () => pinCases(test));
    options.describe('edit history', () => editHistoryCases(test));
    options.describe('moderation', () => moderationCases(test));
    options.describe('hooks', () => hookCases(test));
    options.describe('retention', () => retentionCases(test));
    options.describe('a user’s data: export and erase', () => userDataCases(test));
    if (options.inspect !== undefined) options.describe('raw rows', () => rawRowCases(test));
    const { createStores, destroyStores } = options;
    if (createStores !== undefined) {
      options.describe('races between instances on one database', () => {
        for (const race of [...raceCases, ...attachmentRaceCases, ...moderationRaceCases, ...retentionRaceCases, ...webhookRaceCases, ...threadRaceCases, ...pinRaceCases]) options.it(race.name, () => runRaceCase(race, createStores, destroyStores), 60_000);
      });
    }
  });
}
