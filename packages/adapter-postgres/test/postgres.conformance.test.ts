import type { ChatStore } from '@parley/core';
import { runStoreConformance } from '@parley/core/testing';
import { it } from 'vitest';
import { describeWithService, postgresUnavailable } from '../../../test-support/services.js';
import type { PostgresStore } from '../src/index.js';
import { dropSchema, freshSchema, inspectPostgres, storeIn } from './helpers.js';

const unavailable = await postgresUnavailable();
const schemaOf = (store: ChatStore) => (store as PostgresStore).schema;

describeWithService('Postgres store', unavailable, () => {
  runStoreConformance({
    name: 'postgres',
    describe: (name, fn) => fn(),
    it,
    // A schema of its own for every case, dropped afterwards.
    createStore: () => storeIn(freshSchema()),
    destroyStore: (store) => dropSchema(schemaOf(store)),
    inspect: (store) => inspectPostgres(store as PostgresStore),
    // Several pools on one schema, as several nodes would have; they migrate it together.
    createStores: (count) => {
      const schema = freshSchema('race');
      return Array.from({ length: count }, () => storeIn(schema));
    },
    destroyStores: (stores) => dropSchema(schemaOf(stores[0]!)),
  });
});
