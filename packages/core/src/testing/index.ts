/**
 * `@parley/core/testing`: the adapter conformance kit. Every storage, presence and broker
 * adapter runs the same cases, so a behaviour is specified once and checked everywhere.
 */
export { runStoreConformance } from './store-conformance.js';
export { runPresenceConformance, type PresenceConformanceOptions } from './presence-conformance.js';
export { runBrokerConformance, type BrokerConformanceOptions } from './broker-conformance.js';
export { runRateLimiterConformance, type RateLimiterConformanceOptions } from './rate-limiter-conformance.js';
export { raceCases } from './store/races.js';
export { pinRaceCases } from './store/pins.js';
export { runModelConformance, type ModelConformanceOptions, type FastCheck } from './model/model-conformance.js';
export { ChatModel } from './model/chat-model.js';
export {
  TestClock,
  runRaceCase,
  type RaceCase,
  type RaceHarness,
  rejectsWith,
  collectEvents,
  type ConformanceRunner,
  type StoreConformanceOptions,
  type StoreInspector,
  type RawMessageRow,
  type Harness,
} from './harness.js';
export { waitFor, sleep } from './wait.js';
export { runAttachmentStorageConformance, uploadTo, type AttachmentStorageConformanceOptions } from './attachment-storage-conformance.js';
export { attachmentCases, attachmentRaceCases, uploadFile, SAMPLE_FILES } from './store/attachments.js';
