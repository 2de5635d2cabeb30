import { createClient, prepareClients, type BenchClient, type ReceivedMessage } from './clients.js';
import { serveParent, type GeneratorReply, type GeneratorRequest, type LoadMode, type LoadPlan, type StormResult, type WindowCounts } from './ipc.js';
import { Histogram } from './stats.js';

/**
 * The load generator, a process of its own: it opens one socket per user of its part, sends,
 * and checks every acknowledgement and delivery. A message's content carries its sender, the
 * sender's counter and the send time, so every recipient can time it and check its order.
 * Times come from the system's monotonic clock (CLOCK_MONOTONIC, what process.hrtime
 * reads), one clock for every process on the machine: a recipient may live in another
 * generator process than its sender. The runner adds up the counts of all generators.
 */

/** Milliseconds on the machine-wide monotonic clock. */
function now(): number {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
}

interface UserState {
  id: string;
  client: BenchClient;
  /** Highest seq delivered per conversation (order check). */
  deliveredSeq: Map<string, number>;
  /** Highest seq known per conversation, own acknowledgements included (catch-up cursor). */
  knownSeq: Map<string, number>;
  /** Last counter received from each sender (duplicate and order check). */
  fromSender: Map<number, number>;
}

interface SenderState {
  index: number;
  user: number;
  conversationId: string;
  recipients: number;
  counter: number;
  inFlight: number;
}

interface InFlight {
  sender: SenderState;
  sentAt: number;
}

let plan: LoadPlan | undefined;
let users: Array<UserState | undefined> = [];
let senders: SenderState[] = [];
const inFlight = new Map<number, InFlight>();
let nextToken = 1;
let running = false;
let mode: LoadMode = { mode: 'full' };
let pacer: NodeJS.Timeout | undefined;
let padding = '';

const totals = { sent: 0, acked: 0, errors: 0, expected: 0, delivered: 0, duplicates: 0, outOfOrder: 0 };
const window = { open: false, start: 0, end: Number.POSITIVE_INFINITY, sent: 0, acked: 0, delivered: 0, skipped: 0, cpu: process.cpuUsage() };
let latency = new Histogram();
let ackLatency = new Histogram();

/** `sender|counter|sentAt|` and padding up to the plan's content size. */
function content(sender: number, counter: number, sentAt: number): string {
  const head = `${sender}|${counter}|${sentAt.toFixed(3)}|`;
  return head + padding.slice(head.length);
}

function send(sender: SenderState, sentAt = now()): void {
  const user = users[sender.user] as UserState;
  const token = nextToken++;
  sender.counter += 1;
  sender.inFlight += 1;
  inFlight.set(token, { sender, sentAt });
  totals.sent += 1;
  if (window.open) window.sent += 1;
  user.client.send(token, sender.conversationId, content(sender.index, sender.counter, sentAt), `b${sender.index}-${sender.counter}`);
}

function onAck(userIndex: number, token: number, seq: number): void {
  const at = now();
  const pending = inFlight.get(token);
  if (pending === undefined) return;
  inFlight.delete(token);
  const { sender } = pending;
  sender.inFlight -= 1;
  totals.acked += 1;
  totals.expected += sender.recipients;
  if (window.open) window.acked += 1;
  if (pending.sentAt >= window.start && pending.sentAt < window.end) ackLatency.record((at - pending.sentAt) * 1000);
  const user = users[userIndex] as UserState;
  if (seq > (user.knownSeq.get(sender.conversationId) ?? 0)) user.knownSeq.set(sender.conversationId, seq);
  if (running && mode.mode === 'full') send(sender);
}

function onFail(token: number): void {
  const pending = inFlight.get(token);
  if (pending === undefined) return;
  inFlight.delete(token);
  pending.sender.inFlight -= 1;
  totals.errors += 1;
  // A refused send is retried after a pause, so a refusing server cannot spin the generator.
  if (running && mode.mode === 'full') setTimeout(() => running && send(pending.sender), 10);
}

function onMessage(userIndex: number, message: ReceivedMessage): void {
  const at = now();
  const user = users[userIndex] as UserState;
  const text = message.content;
  const first = text.indexOf('|');
  const second = text.indexOf('|', first + 1);
  const third = text.indexOf('|', second + 1);
  const sender = Number(text.slice(0, first));
  const counter = Number(text.slice(first + 1, second));
  const sentAt = Number(text.slice(second + 1, third));
  totals.delivered += 1;
  if (window.open) window.delivered += 1;
  if (sentAt >= window.start && sentAt < window.end) latency.record((at - sentAt) * 1000);
  const last = user.fromSender.get(sender) ?? 0;
  if (counter === last) totals.duplicates += 1;
  else if (counter < last) totals.outOfOrder += 1;
  else user.fromSender.set(sender, counter);
  const seqBefore = user.deliveredSeq.get(message.conversationId) ?? 0;
  if (message.seq <= seqBefore) {
    if (counter > last) totals.outOfOrder += 1; // a new message with an old seq: the conversation's order broke
  } else user.deliveredSeq.set(message.conversationId, message.seq);
  if (message.seq > (user.knownSeq.get(message.conversationId) ?? 0)) user.knownSeq.set(message.conversationId, message.seq);
}

function newUser(index: number, id: string): UserState {
  const client = createClient((plan as LoadPlan).server, (plan as LoadPlan).port, id, {
    ack: (token, seq) => onAck(index, token, seq),
    fail: (token) => onFail(token),
    message: (message) => onMessage(index, message),
  });
  return { id, client, deliveredSeq: new Map(), knownSeq: new Map(), fromSender: new Map() };
}

/** Runs `work` over `items` with at most `limit` at once; counts failures. */
async function limited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<number> {
  let next = 0;
  let failed = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item).catch(() => {
        failed += 1;
      });
    }
  });
  await Promise.all(lanes);
  return failed;
}

async function connect(p: LoadPlan): Promise<GeneratorReply> {
  plan = p;
  await prepareClients(p.server);
  padding = 'x'.repeat(p.contentBytes);
  users = p.users.map((id, index) => (p.parts[index] === p.part ? newUser(index, id) : undefined));
  senders = [];
  p.senders.forEach((s, index) => {
    if (p.parts[s.user] !== p.part) return;
    const conversation = p.conversations[s.conversation] as { id: string; members: number[] };
    senders.push({ index, user: s.user, conversationId: conversation.id, recipients: conversation.members.length - 1, counter: 0, inFlight: 0 });
  });
  const started = performance.now();
  const failed = await limited(local(), p.connectConcurrency, (user) => user.client.connect());
  return { op: 'connected', ms: performance.now() - started, failed };
}

const local = () => users.filter((u): u is UserState => u !== undefined);

function startLoad(next: LoadMode): void {
  mode = next;
  running = true;
  if (next.mode === 'full') {
    for (const sender of senders) send(sender);
    return;
  }
  if (senders.length === 0) return;
  // Open loop: message i is due at start + i/rate, whatever the answers; latency counts from
  // when it was due, so a server that falls behind is not excused (no coordinated omission).
  // Each generator sends its senders' share of the total rate.
  // A server that cannot keep up would build an endless queue: past a quarter of a second of
  // unanswered messages, due messages are skipped and counted, and the run shows as overloaded.
  const start = now();
  const share = (next.rate * senders.length) / (plan as LoadPlan).senders.length;
  const interval = 1000 / share;
  const maxInFlight = Math.max(100, Math.ceil(share / 4));
  let issued = 0;
  pacer = setInterval(() => {
    const due = Math.floor((now() - start) / interval);
    while (issued < due && running) {
      if (inFlight.size >= maxInFlight) {
        if (window.open) window.skipped += 1;
      } else send(senders[issued % senders.length] as SenderState, start + issued * interval);
      issued += 1;
    }
  }, 1);
}

function mark(phase: 'start' | 'end'): WindowCounts {
  const at = now();
  if (phase === 'start') {
    Object.assign(window, { open: true, start: at, end: Number.POSITIVE_INFINITY, sent: 0, acked: 0, delivered: 0, skipped: 0, cpu: process.cpuUsage() });
    latency = new Histogram();
    ackLatency = new Histogram();
    return { ms: 0, sent: 0, acked: 0, delivered: 0, skipped: 0, cpuPct: 0 };
  }
  window.open = false;
  window.end = at;
  const cpu = process.cpuUsage(window.cpu);
  const ms = at - window.start;
  return { ms, sent: window.sent, acked: window.acked, delivered: window.delivered, skipped: window.skipped, cpuPct: ((cpu.user + cpu.system) / 1000 / ms) * 100 };
}

/** Stops sending and waits for this generator's own sends to be answered; deliveries are awaited by the runner, over all generators. */
async function drain(timeoutMs: number): Promise<GeneratorReply> {
  running = false;
  if (pacer !== undefined) clearInterval(pacer);
  const deadline = now() + timeoutMs;
  while (now() < deadline && inFlight.size > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  return { op: 'drained' };
}

/**
 * Parley's reconnect storm over the plan's direct pairs: the second member of each pair goes
 * away, the first sends `missed` messages and goes away too; then every client reconnects
 * at once and sends `sync` from the last seq it held. Done when all have their `sync_result`
 * holding exactly what they missed.
 */
async function storm(missed: number, timeoutMs: number): Promise<StormResult> {
  const p = plan as LoadPlan;
  // The runner gives both members of a pair to one generator.
  const pairs = p.conversations.filter((c) => c.members.length === 2 && p.parts[c.members[0] as number] === p.part);
  await Promise.all(pairs.map((c) => (users[c.members[1] as number] as UserState).client.close()));
  await Promise.all(
    pairs.map(async (c) => {
      const sender = { index: -1, user: c.members[0] as number, conversationId: c.id, recipients: 0, counter: 0, inFlight: 0 };
      for (let i = 0; i < missed; i++) {
        send(sender);
        while (sender.inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }),
  );
  await Promise.all(pairs.map((c) => (users[c.members[0] as number] as UserState).client.close()));
  await new Promise((resolve) => setTimeout(resolve, 300));

  const expectedFor = (index: number, c: { members: number[] }) => (index === c.members[1] ? missed : 0);
  const cpu = process.cpuUsage();
  const started = performance.now();
  let caughtUp = 0;
  let recovered = 0;
  let wrong = 0;
  let last = started;
  const clients = pairs.flatMap((c) => c.members.map((index) => ({ index, c })));
  const deadline = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
  const everyone = Promise.all(
    clients.map(async ({ index, c }) => {
      const old = users[index] as UserState;
      const fresh = newUser(index, old.id);
      fresh.knownSeq = old.knownSeq;
      users[index] = fresh;
      try {
        await fresh.client.connect();
        const from = fresh.knownSeq.get(c.id) ?? 0;
        const answer = await fresh.client.sync({ [c.id]: from });
        const messages = answer[c.id]?.messages ?? [];
        recovered += messages.length;
        if (messages.length !== expectedFor(index, c) || messages.some((m) => m.seq <= from)) wrong += 1;
        caughtUp += 1;
        last = performance.now();
      } catch {
        wrong += 1;
      }
    }),
  );
  await Promise.race([everyone, deadline]);
  const elapsed = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const expected = pairs.length * missed;
  return {
    clients: clients.length,
    ms: caughtUp === clients.length ? last - started : Number.NaN,
    caughtUp,
    recovered,
    expected,
    cpuPct: ((used.user + used.system) / 1000 / elapsed) * 100,
    ok: caughtUp === clients.length && wrong === 0 && recovered === expected,
  };
}

serveParent<GeneratorRequest>(async (request): Promise<GeneratorReply> => {
  switch (request.op) {
    case 'connect':
      return connect(request.plan);
    case 'load':
      startLoad(request);
      return { op: 'load' };
    case 'mark':
      return { op: 'mark', ...mark(request.phase) };
    case 'drain':
      return drain(request.timeoutMs);
    case 'totals':
      return { op: 'totals', ...totals };
    case 'report':
      return { op: 'report', correctness: { ...totals }, latency: latency.toJSON(), ackLatency: ackLatency.toJSON() };
    case 'storm':
      return { op: 'storm', ...(await storm(request.missed, request.timeoutMs)) };
    case 'close':
      running = false;
      await Promise.all(local().map((user) => user.client.close()));
      return { op: 'closed' };
  }
});
