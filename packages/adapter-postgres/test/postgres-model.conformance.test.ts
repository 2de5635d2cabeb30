import type { ChatStore } from '@parley/core';
import { runModelConformance } from '@parley/core/testing';
import fc from 'fast-check';
import { it } from 'vitest';
import { describeWithService, postgresUnavailable } from '../../../test-support/services.js';
import type { PostgresStore } from '../src/index.js';
import { dropSchema, freshSchema, storeIn } from './helpers.js';

describeWithService('Postgres store, against the model', await postgresUnavailable(), () => {
  runModelConformance({
    name: 'postgres',
    describe: (_name, fn) => fn(),
    it,
    fc,
    createStore: () => storeIn(freshSchema('model')),
    destroyStore: (store: ChatStore) => dropSchema((store as PostgresStore).schema),
    numRuns: 15,
  });
});
