import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemo } from '../scripts/build.mjs';
import { startDemo } from '../src/server.js';
import { testPng } from './png.js';

/**
 * The demo page in a real browser: Debian's Chromium through playwright-core (never a browser
 * download). Without Chromium the suite skips and says why, unless PARLEY_REQUIRE_SERVICES is
 * set (as in CI, whose .ci/run installs it), where that is a failure.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const required = process.env.PARLEY_REQUIRE_SERVICES === '1';
if (!haveChromium && !required) console.warn(`[browser test] skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);

/** Room for the test's seeding of 130 messages through the services (the page is not rate-tested here). */
const LIMITS = { messageRate: { limit: 1_000, windowMs: 10_000 } };
const outputDir = fileURLToPath(new URL('../test-output/', import.meta.url));

describe.skipIf(!haveChromium && !required)('demo page in Chromium', () => {
  let browser: Browser;
  let demo: Awaited<ReturnType<typeof startDemo>>;
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-demo-'));

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`PARLEY_REQUIRE_SERVICES=1 but there is no Chromium at ${CHROMIUM}`);
    await buildDemo({ only: ['web'] });
    demo = await startDemo({ port: 0, dataDir, limits: LIMITS });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    mkdirSync(outputDir, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function signIn(name: string, viewport = { width: 1100, height: 720 }): Promise<{ page: Page; dialogs: string[]; errors: string[] }> {
    const context = await browser.newContext({ viewport });
    // A missing element fails a step in seconds, not after Playwright's default 30 s.
    context.setDefaultTimeout(5_000);
    const page = await context.newPage();
    const dialogs: string[] = [];
    const errors: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => errors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content.Security.Policy|Refused to/i.test(message.text())) errors.push(message.text());
    });
    await page.goto(demo.url);
    await page.getByTestId('login-name').fill(name);
    await page.getByTestId('login-submit').click();
    await expect.poll(() => page.getByTestId('me').textContent()).toBe(name);
    await expect.poll(() => page.getByTestId('conn-status').textContent()).toBe('online');
    return { page, dialogs, errors };
  }

  const messageTexts = (page: Page) => page.locator('#messages [data-testid="message-text"]').allTextContents();

  it('two people chat live: direct conversation, messages, typing, reactions, receipts, history, and text stays text', async () => {
    const alice = await signIn('Alice');
    const bob = await signIn('Bob');

    // Alice starts a direct conversation with Bob; it appears on Bob's side at once.
    await alice.page.getByTestId('new-direct').click();
    await alice.page.getByTestId('pick-user').filter({ hasText: 'Bob' }).click();
    await expect.poll(() => alice.page.getByTestId('conv-title').textContent()).toBe('Bob');
    await expect.poll(() => bob.page.getByTestId('conversation-title').allTextContents()).toContain('Alice');

    // A message, with the unread badge and preview on Bob's list.
    await alice.page.getByTestId('composer-input').fill('Hello Bob');
    await alice.page.getByTestId('composer-input').press('Enter');
    await expect.poll(() => messageTexts(alice.page)).toContain('Hello Bob');
    await expect.poll(() => alice.page.getByTestId('pending').count()).toBe(0);
    const bobItem = bob.page.getByTestId('conversation').filter({ hasText: 'Alice' });
    await expect.poll(() => bobItem.getByTestId('unread').textContent()).toBe('1');
    await expect.poll(() => bobItem.getByTestId('preview').textContent()).toBe('Alice: Hello Bob');
    await bobItem.click();
    await expect.poll(() => messageTexts(bob.page)).toContain('Hello Bob');
    await expect.poll(() => bobItem.getByTestId('unread').count()).toBe(0);

    // Bob has read it: Alice sees the receipt.
    await expect.poll(() => alice.page.getByTestId('receipt').last().textContent()).toBe('Seen by Bob');

    // Bob types: Alice sees it; Bob sends and the indicator goes.
    await bob.page.getByTestId('composer-input').pressSequentially('Hi Al', { delay: 20 });
    await expect.poll(() => alice.page.getByTestId('typing').textContent()).toBe('Bob is typing…');
    await bob.page.getByTestId('composer-input').pressSequentially('ice!', { delay: 10 });
    await bob.page.getByTestId('composer-input').press('Enter');
    await expect.poll(() => messageTexts(alice.page)).toContain('Hi Alice!');
    await expect.poll(() => alice.page.getByTestId('typing').textContent()).toBe('');

    // Bob reacts to Alice's message; Alice sees the reaction.
    const hello = bob.page.locator('#messages [data-testid="message"]').filter({ hasText: 'Hello Bob' });
    await hello.hover();
    await hello.getByTestId('action-react-👍').click();
    await expect.poll(() => alice.page.locator('#messages [data-testid="message"]').filter({ hasText: 'Hello Bob' }).getByTestId('reaction').textContent()).toBe('👍 1');

    // Alice edits, replies and deletes; Bob sees each.
    const mine = alice.page.locator('#messages [data-testid="message"]').filter({ hasText: 'Hello Bob' });
    await mine.hover();
    await mine.getByTestId('action-edit').click();
    await alice.page.getByTestId('composer-input').fill('Hello Bob, edited');
    await alice.page.getByTestId('composer-input').press('Enter');
    await expect.poll(() => messageTexts(bob.page)).toContain('Hello Bob, edited');
    const theirs = alice.page.locator('#messages [data-testid="message"]').filter({ hasText: 'Hi Alice!' });
    await theirs.hover();
    await theirs.getByTestId('action-reply').click();
    await alice.page.getByTestId('composer-input').fill('Replying to you');
    await alice.page.getByTestId('composer-input').press('Enter');
    await expect.poll(() => bob.page.getByTestId('reply-quote').last().textContent()).toBe('You: Hi Alice!');
    await alice.page.getByTestId('composer-input').fill('oops, wrong chat');
    await alice.page.getByTestId('composer-input').press('Enter');
    await expect.poll(() => messageTexts(bob.page)).toContain('oops, wrong chat');
    const oops = alice.page.locator('#messages [data-testid="message"]').filter({ hasText: 'oops, wrong chat' });
    await oops.hover();
    await oops.getByTestId('action-delete-all').click();
    // Deleting for everyone asks first.
    await alice.page.getByTestId('confirm-delete-yes').click();
    await expect.poll(() => messageTexts(bob.page)).not.toContain('oops, wrong chat');
    await expect.poll(() => messageTexts(bob.page)).toContain('Message deleted');
    // The sidebar preview no longer shows the deleted text.
    await expect.poll(() => bobItem.getByTestId('preview').textContent()).toBe('Message deleted');
    await expect.poll(() => alice.page.getByTestId('conversation').getByTestId('preview').textContent()).toBe('Message deleted');

    // Markup in a message is shown as text and runs nothing.
    const hostile = '<img src=x onerror=alert(1)>';
    await alice.page.getByTestId('composer-input').fill(hostile);
    await alice.page.getByTestId('composer-input').press('Enter');
    for (const side of [alice, bob]) {
      await expect.poll(() => messageTexts(side.page)).toContain(hostile);
      expect(await side.page.locator('#messages img').count()).toBe(0);
    }
    await bob.page.waitForTimeout(300);
    expect(alice.dialogs).toEqual([]);
    expect(bob.dialogs).toEqual([]);

    // Search finds Alice's message.
    await alice.page.getByTestId('search-input').fill('edited');
    await alice.page.getByTestId('search-input').press('Enter');
    await expect.poll(() => alice.page.getByTestId('search-hit').count()).toBe(1);

    await alice.page.screenshot({ path: join(outputDir, 'alice.png') });
    await bob.page.screenshot({ path: join(outputDir, 'bob.png') });

    // A reload finds the history intact.
    await alice.page.reload();
    await expect.poll(() => alice.page.getByTestId('conn-status').textContent()).toBe('online');
    await alice.page.getByTestId('conversation').filter({ hasText: 'Bob' }).click();
    await expect.poll(() => messageTexts(alice.page)).toEqual(['Hello Bob, edited', 'Hi Alice!', 'Replying to you', 'Message deleted', hostile]);
    expect(alice.dialogs).toEqual([]);
  }, 60_000);

  const pending = (page: Page) => page.getByTestId('pending').count();
  const count = (texts: string[], text: string) => texts.filter((t) => t === text).length;

  async function directChat(from: { page: Page }, toName: string) {
    await from.page.getByTestId('new-direct').click();
    await from.page.getByTestId('pick-user').filter({ hasText: toName }).click();
    await expect.poll(() => from.page.getByTestId('conv-title').textContent()).toBe(toName);
  }

  async function send(side: { page: Page }, text: string) {
    await side.page.getByTestId('composer-input').fill(text);
    await side.page.getByTestId('composer-input').press('Enter');
  }

  /** The stored messages of a conversation, read over REST as the given user. */
  async function storedTexts(name: string, conversationId: string): Promise<string[]> {
    const { token } = (await (await fetch(`${demo.url}/demo/login`, { method: 'POST', body: JSON.stringify({ name }) })).json()) as { token: string };
    const page = (await (await fetch(`${demo.url}/api/conversations/${conversationId}/messages?limit=100`, { headers: { authorization: `Bearer ${token}` } })).json()) as { messages: Array<{ content: string | null }> };
    return page.messages.map((m) => m.content ?? '');
  }

  async function restartDemo(whileDown: () => Promise<void>) {
    const { port } = demo;
    await demo.close();
    await whileDown();
    demo = await startDemo({ port, dataDir, limits: LIMITS });
  }

  it('a server restart with two pages open: what was typed while it was down arrives once on both, nobody is signed out', async () => {
    const carol = await signIn('Carol');
    const dave = await signIn('Dave');
    await directChat(carol, 'Dave');
    await send(carol, 'before the restart');
    await dave.page.getByTestId('conversation').filter({ hasText: 'Carol' }).click();
    await expect.poll(() => messageTexts(dave.page)).toContain('before the restart');
    const conversationId = await carol.page.getByTestId('conversation').first().getAttribute('data-id');

    await restartDemo(async () => {
      for (const side of [carol, dave]) await expect.poll(() => side.page.getByTestId('conn-status').textContent()).not.toBe('online');
      await send(carol, 'typed while the server was down');
      await expect.poll(() => carol.page.getByTestId('pending').textContent()).toBe('not sent yet — waiting for the connection');
      await expect.poll(() => carol.page.getByTestId('conn-status').textContent()).toMatch(/1 unsent$/);
      await carol.page.screenshot({ path: join(outputDir, 'restart-while-down.png') });
    });

    for (const side of [carol, dave]) {
      await expect.poll(() => side.page.getByTestId('conn-status').textContent(), { timeout: 15_000 }).toBe('online');
      await expect.poll(async () => count(await messageTexts(side.page), 'typed while the server was down'), { timeout: 10_000 }).toBe(1);
      expect(await side.page.locator('#login').isHidden()).toBe(true);
    }
    expect(await carol.page.getByTestId('me').textContent()).toBe('Carol');
    expect(await dave.page.getByTestId('me').textContent()).toBe('Dave');
    await expect.poll(() => pending(carol.page)).toBe(0);
    expect(await storedTexts('Carol', conversationId!)).toEqual(['before the restart', 'typed while the server was down']);
    await dave.page.screenshot({ path: join(outputDir, 'restart-after.png') });
    expect([...carol.errors, ...dave.errors]).toEqual([]);
    await carol.page.context().close();
    await dave.page.context().close();
  }, 60_000);

  it('a server that forgot its key (a fresh data directory) refuses the token: the page signs in again by itself', async () => {
    const nina = await signIn('Nina');
    const tokenBefore = await nina.page.evaluate<string | null>("sessionStorage.getItem('parley-demo-token')");
    const { port } = demo;
    await demo.close();
    const freshDir = mkdtempSync(join(tmpdir(), 'parley-demo-fresh-'));
    const fresh = await startDemo({ port, dataDir: freshDir, limits: LIMITS });
    try {
      await expect.poll(() => nina.page.getByTestId('conn-status').textContent(), { timeout: 15_000 }).toBe('online');
      expect(await nina.page.locator('#login').isHidden()).toBe(true);
      expect(await nina.page.getByTestId('me').textContent()).toBe('Nina');
      // A new token, from the new key.
      expect(await nina.page.evaluate<string | null>("sessionStorage.getItem('parley-demo-token')")).not.toBe(tokenBefore);
      expect(nina.errors).toEqual([]);
    } finally {
      await nina.page.context().close();
      await fresh.close();
      rmSync(freshDir, { recursive: true, force: true });
      demo = await startDemo({ port, dataDir, limits: LIMITS });
    }
  }, 60_000);

  it('a send still pending at a reload goes out once after it; the open conversation comes back', async () => {
    const erin = await signIn('Erin');
    const frank = await signIn('Frank');
    await directChat(erin, 'Frank');
    await send(erin, 'first');
    await frank.page.getByTestId('conversation').filter({ hasText: 'Erin' }).click();
    await expect.poll(() => messageTexts(frank.page)).toContain('first');
    const conversationId = await erin.page.getByTestId('conversation').first().getAttribute('data-id');

    // From the next page load on, Erin's socket reaches something that never answers (a dead
    // network path; Playwright's route swaps the page's WebSocket): the send waits in the outbox.
    let blocked = true;
    await erin.page.routeWebSocket(/\/chat$/, (ws) => {
      if (!blocked) ws.connectToServer();
    });
    await erin.page.reload();
    await expect.poll(() => erin.page.getByTestId('conv-title').textContent()).toBe('Frank');
    expect(await erin.page.getByTestId('conn-status').textContent()).toBe('connecting…');
    await send(erin, 'sent before the reload');
    await expect.poll(() => erin.page.getByTestId('pending').textContent()).toBe('not sent yet — waiting for the connection');
    const outbox = await erin.page.evaluate<string | null>("localStorage.getItem('parley-demo-outbox:erin')");
    expect(outbox).toContain('sent before the reload');

    blocked = false;
    await erin.page.reload();
    await expect.poll(() => erin.page.getByTestId('conn-status').textContent(), { timeout: 15_000 }).toBe('online');
    // The conversation open before the reload is open again, with the message stored once.
    await expect.poll(() => erin.page.getByTestId('conv-title').textContent()).toBe('Frank');
    await expect.poll(async () => count(await messageTexts(erin.page), 'sent before the reload'), { timeout: 10_000 }).toBe(1);
    await expect.poll(async () => count(await messageTexts(frank.page), 'sent before the reload')).toBe(1);
    await expect.poll(() => pending(erin.page)).toBe(0);
    expect(await erin.page.evaluate<string | null>("localStorage.getItem('parley-demo-outbox:erin')")).toBe('[]');
    expect(await storedTexts('Erin', conversationId!)).toEqual(['first', 'sent before the reload']);
    expect([...erin.errors, ...frank.errors]).toEqual([]);
    await erin.page.context().close();
    await frank.page.context().close();
  }, 60_000);

  it('says why a send failed: too long, with a counter; Esc while editing then Enter posts nothing; a search hit keeps newer messages reachable', async () => {
    const gina = await signIn('Gina');
    await signIn('Hugo').then((h) => h.page.context().close());
    await directChat(gina, 'Hugo');
    const input = gina.page.getByTestId('composer-input');

    // Too long: the counter says so and the send button is off.
    await input.fill('x'.repeat(10_001));
    await expect.poll(() => gina.page.getByTestId('char-counter').textContent()).toBe('Too long: 10,001 / 10,000 characters');
    expect(await gina.page.getByTestId('send').isDisabled()).toBe(true);
    await input.press('Enter');
    await expect.poll(() => gina.page.getByTestId('notice').textContent()).toBe('Too long: 10,001 characters, at most 10,000');
    expect(await messageTexts(gina.page)).toEqual([]);

    // Edit, Esc, Enter: the draft comes back and nothing is posted.
    await input.fill('original text');
    await input.press('Enter');
    await expect.poll(() => messageTexts(gina.page)).toEqual(['original text']);
    const mine = gina.page.locator('#messages [data-testid="message"]').filter({ hasText: 'original text' });
    await input.fill('a draft');
    await mine.hover();
    await mine.getByTestId('action-edit').click();
    expect(await input.inputValue()).toBe('original text');
    await input.press('Escape');
    expect(await input.inputValue()).toBe('a draft');
    await input.fill('');
    await input.press('Enter');
    await gina.page.waitForTimeout(300);
    expect(await messageTexts(gina.page)).toEqual(['original text']);

    // 130 messages, a search for the first: it is shown, and scrolling or "Jump to latest" reaches the newest.
    const conversationId = await gina.page.getByTestId('conversation').first().getAttribute('data-id');
    await demo.chat.messages.sendMessage('gina', { conversationId: conversationId!, content: 'needle in the history' });
    for (let i = 1; i <= 130; i += 1) await demo.chat.messages.sendMessage(i % 2 === 0 ? 'gina' : 'hugo', { conversationId: conversationId!, content: `filler ${i}` });
    await expect.poll(() => messageTexts(gina.page), { timeout: 10_000 }).toContain('filler 130');
    await gina.page.reload();
    await expect.poll(() => gina.page.getByTestId('conn-status').textContent()).toBe('online');
    await gina.page.getByTestId('search-input').fill('needle');
    await gina.page.getByTestId('search-input').press('Enter');
    await gina.page.getByTestId('search-hit').first().click();
    await expect.poll(() => gina.page.locator('#messages .msg.highlight').textContent()).toContain('needle in the history');
    await expect.poll(() => gina.page.getByTestId('jump-latest').isVisible()).toBe(true);
    await gina.page.screenshot({ path: join(outputDir, 'search-hit.png') });
    const texts = await messageTexts(gina.page);
    expect(texts.slice(texts.indexOf('needle in the history'))).toEqual(['needle in the history', ...Array.from({ length: 130 }, (_, i) => `filler ${i + 1}`)]);
    await gina.page.getByTestId('jump-latest').click();
    await expect.poll(() => gina.page.getByTestId('jump-latest').isVisible()).toBe(false);
    await expect.poll(() => gina.page.locator('#messages [data-testid="message"]').last().isVisible()).toBe(true);
    expect(gina.errors).toEqual([]);
    await gina.page.context().close();
  }, 60_000);

  it('pins bar and edit history: a pin shows for both, "edited" opens the earlier versions, a delete for everyone unpins', async () => {
    const ivy = await signIn('Ivy');
    const jon = await signIn('Jon');
    await directChat(ivy, 'Jon');
    const input = ivy.page.getByTestId('composer-input');
    await input.fill('meet at noon');
    await input.press('Enter');
    await expect.poll(() => messageTexts(ivy.page)).toEqual(['meet at noon']);
    const mine = ivy.page.locator('#messages [data-testid="message"]').filter({ hasText: 'meet at noon' });
    await mine.hover();
    await mine.getByTestId('action-edit').click();
    await input.fill('meet at one');
    await input.press('Enter');
    await expect.poll(() => messageTexts(ivy.page)).toEqual(['meet at one']);
    await ivy.page.locator('#messages [data-testid="message"]').first().hover();
    await ivy.page.locator('#messages [data-testid="message"]').first().getByTestId('action-pin').click();
    await expect.poll(() => ivy.page.getByTestId('pin-text').allTextContents()).toEqual(['meet at one']);

    await jon.page.getByTestId('conversation').first().click();
    await expect.poll(() => jon.page.getByTestId('pin-text').allTextContents()).toEqual(['meet at one']);
    await expect.poll(() => jon.page.getByTestId('pins-count').textContent()).toBe('📌 1 pinned');
    await jon.page.getByTestId('edited').click();
    await expect.poll(() => jon.page.getByTestId('history-version').allTextContents()).toHaveLength(1);
    expect((await jon.page.getByTestId('history-version').first().textContent())?.startsWith('meet at noon')).toBe(true);
    await jon.page.screenshot({ path: join(outputDir, 'pins-and-history.png') });
    await jon.page.getByTestId('history-close').click();
    await expect.poll(() => jon.page.getByTestId('history').count()).toBe(0);

    const pinned = ivy.page.locator('#messages [data-testid="message"]').first();
    await pinned.hover();
    await pinned.getByTestId('action-delete-all').click();
    await ivy.page.getByTestId('confirm-delete-yes').click();
    await expect.poll(() => jon.page.getByTestId('pins-bar').isVisible()).toBe(false);
    await expect.poll(() => ivy.page.getByTestId('pin').count()).toBe(0);
  });

  it('at 375 px: one column, the list or the conversation, with a back button', async () => {
    const ivan = await signIn('Ivan', { width: 375, height: 740 });
    await directChat(ivan, 'Carol');
    await send(ivan, 'Hello from a phone — a longer message to see how it wraps on a narrow screen');
    await expect.poll(() => pending(ivan.page)).toBe(0);
    expect(await ivan.page.locator('#sidebar').isVisible()).toBe(false);
    expect(await ivan.page.getByTestId('back').isVisible()).toBe(true);
    const width = await ivan.page.evaluate<number>('document.documentElement.scrollWidth');
    expect(width).toBeLessThanOrEqual(375);
    await ivan.page.screenshot({ path: join(outputDir, 'narrow-conversation.png') });
    await ivan.page.getByTestId('back').click();
    expect(await ivan.page.locator('#sidebar').isVisible()).toBe(true);
    expect(await ivan.page.locator('#chat').isVisible()).toBe(false);
    await ivan.page.screenshot({ path: join(outputDir, 'narrow-list.png') });
    expect(ivan.errors).toEqual([]);
    await ivan.page.context().close();
  }, 60_000);

  it('uploads an image and a file (picked, dropped; a pasted one removed); the other member opens both; a non-member is refused', async () => {
    const judy = await signIn('Judy');
    const karl = await signIn('Karl');
    await directChat(judy, 'Karl');
    const png = testPng(900, 600);
    const csv = Buffer.from('month,messages\njanuary,120\nfebruary,98\n'.repeat(200));

    // The image through the attach button (file input)…
    await judy.page.getByTestId('file-input').setInputFiles([{ name: 'landscape.png', mimeType: 'image/png', buffer: png }]);
    // …and the file dropped on the conversation.
    await judy.page.evaluate(`(() => {
      const data = new DataTransfer();
      data.items.add(new File([${JSON.stringify(csv.toString())}], 'report.csv', { type: 'text/csv' }));
      const chat = document.querySelector('#chat');
      chat.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
      chat.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    })()`);
    await expect.poll(() => judy.page.getByTestId('upload').count()).toBe(2);
    await expect.poll(() => judy.page.getByTestId('upload-preview').count()).toBe(1);
    await expect.poll(() => judy.page.locator('[data-testid="upload-progress"][data-state="done"]').count(), { timeout: 15_000 }).toBe(2);
    await judy.page.screenshot({ path: join(outputDir, 'upload-tray.png') });
    await send(judy, 'The photo and the numbers');
    await expect.poll(() => pending(judy.page)).toBe(0);
    await expect.poll(() => judy.page.getByTestId('upload').count()).toBe(0);

    // A pasted image joins the tray with its preview; removing it cancels it.
    await judy.page.getByTestId('composer-input').focus();
    await judy.page.evaluate(`(() => {
      const data = new DataTransfer();
      const bytes = Uint8Array.from(atob(${JSON.stringify(testPng(64, 48).toString('base64'))}), (c) => c.charCodeAt(0));
      data.items.add(new File([bytes], 'image.png', { type: 'image/png' }));
      document.querySelector('#composer-input').dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    })()`);
    await expect.poll(() => judy.page.getByTestId('upload-preview').count()).toBe(1);
    await judy.page.getByTestId('upload').getByRole('button', { name: 'Remove image.png' }).click();
    await expect.poll(() => judy.page.getByTestId('upload').count()).toBe(0);

    await karl.page.getByTestId('conversation').filter({ hasText: 'Judy' }).click();
    await expect.poll(() => messageTexts(karl.page)).toContain('The photo and the numbers');
    const image = karl.page.getByTestId('attachment-image');
    await expect.poll(() => image.count()).toBe(1);
    // The thumbnail drawn in Judy's browser: loaded, and smaller than the original.
    await expect.poll(() => image.locator('img').evaluate((img: { complete: boolean; naturalWidth: number }) => img.complete && img.naturalWidth), { timeout: 10_000 }).toBe(480);
    const fullUrl = await image.getAttribute('href');
    const full = await karl.page.evaluate(async (url) => {
      const res = await fetch(url!);
      return { status: res.status, type: res.headers.get('content-type'), disposition: res.headers.get('content-disposition'), size: (await res.arrayBuffer()).byteLength };
    }, fullUrl);
    expect(full).toMatchObject({ status: 200, type: 'image/png', size: png.length });
    expect(full.disposition).toMatch(/^inline/);

    const card = karl.page.getByTestId('attachment-file');
    await expect.poll(() => card.getByTestId('attachment-name').textContent()).toBe('report.csv');
    expect(await card.getByTestId('attachment-size').textContent()).toBe('7.6 KB');
    await expect.poll(() => card.getByTestId('attachment-download').getAttribute('href')).toMatch(/^\/api\/files\/d\//);
    const download = await karl.page.evaluate(async (url) => {
      const res = await fetch(url!);
      return { status: res.status, disposition: res.headers.get('content-disposition'), text: await res.text() };
    }, await card.getByTestId('attachment-download').getAttribute('href'));
    expect(download.status).toBe(200);
    expect(download.disposition).toMatch(/^attachment/);
    expect(download.text).toBe(csv.toString());
    await karl.page.screenshot({ path: join(outputDir, 'uploads-received.png') });

    // Someone outside the conversation gets no link, and a tampered link serves nothing.
    const messageId = await karl.page.locator('#messages [data-testid="message"]').filter({ hasText: 'The photo and the numbers' }).getAttribute('data-id');
    const conversationId = await karl.page.getByTestId('conversation').first().getAttribute('data-id');
    const { token: karlToken } = (await (await fetch(`${demo.url}/demo/login`, { method: 'POST', body: JSON.stringify({ name: 'Karl' }) })).json()) as { token: string };
    const messages = (await (await fetch(`${demo.url}/api/conversations/${conversationId}/messages?limit=10`, { headers: { authorization: `Bearer ${karlToken}` } })).json()) as { messages: Array<{ id: string; attachments: Array<{ id: string; name: string }> }> };
    const attachments = messages.messages.find((m) => m.id === messageId)!.attachments;
    expect(attachments.map((a) => a.name)).toEqual(['landscape.png', 'thumbnail-landscape.jpg', 'report.csv']);
    const { token: outsider } = (await (await fetch(`${demo.url}/demo/login`, { method: 'POST', body: JSON.stringify({ name: 'Mallory' }) })).json()) as { token: string };
    for (const attachment of attachments) {
      const refused = await fetch(`${demo.url}/api/attachments/${attachment.id}`, { headers: { authorization: `Bearer ${outsider}` } });
      expect([403, 404]).toContain(refused.status);
    }
    // /api/files/d/<signed token>/<name>: one character of the token changed.
    const parts = fullUrl!.split('/');
    const token = parts[4]!;
    const middle = Math.floor(token.length / 2);
    parts[4] = `${token.slice(0, middle)}${token[middle] === 'A' ? 'B' : 'A'}${token.slice(middle + 1)}`;
    const tampered = parts.join('/');
    expect([400, 403, 404]).toContain((await fetch(`${demo.url}${tampered}`)).status);
    expect([...judy.errors, ...karl.errors]).toEqual([]);
    await judy.page.context().close();
    await karl.page.context().close();
  }, 90_000);

  it('a rate-limited send says how long it waits, then goes out by itself', async () => {
    const strictDir = mkdtempSync(join(tmpdir(), 'parley-demo-strict-'));
    const strict = await startDemo({ port: 0, dataDir: strictDir, limits: { messageRate: { limit: 2, windowMs: 4_000 } } });
    try {
      const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
      context.setDefaultTimeout(5_000);
      const page = await context.newPage();
      await page.goto(strict.url);
      await page.getByTestId('login-name').fill('Lena');
      await page.getByTestId('login-submit').click();
      await expect.poll(() => page.getByTestId('conn-status').textContent()).toBe('online');
      const other = await (await fetch(`${strict.url}/demo/login`, { method: 'POST', body: JSON.stringify({ name: 'Mona' }) })).json();
      expect(other).toMatchObject({ user: { id: 'mona' } });
      await page.getByTestId('new-direct').click();
      await page.getByTestId('pick-user').filter({ hasText: 'Mona' }).click();
      for (const text of ['one', 'two', 'three']) await send({ page }, text);
      await expect.poll(() => page.getByTestId('pending').textContent()).toMatch(/^rate limited — sending again in \d s$/);
      await page.screenshot({ path: join(outputDir, 'rate-limited.png') });
      await expect.poll(() => pending(page), { timeout: 10_000 }).toBe(0);
      expect(await messageTexts(page)).toEqual(['one', 'two', 'three']);
      // One date separator; consecutive messages of one sender are grouped.
      expect(await page.getByTestId('day-separator').allTextContents()).toEqual(['Today']);
      expect(await page.locator('#messages .msg.grouped').count()).toBe(2);
      await context.close();
    } finally {
      await strict.close();
      rmSync(strictDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('moderation: a member reports, an admin reviews the queue, sets slow mode, mutes and bans from the member list', async () => {
    for (const name of ['Pete', 'Quinn']) await fetch(`${demo.url}/demo/login`, { method: 'POST', body: JSON.stringify({ name }) });
    const olga = await signIn('Olga');
    await olga.page.getByTestId('new-group').click();
    await olga.page.getByTestId('group-name').fill('Moderated');
    for (const name of ['Pete', 'Quinn']) await olga.page.locator('label').filter({ hasText: name }).getByTestId('group-member').check();
    await olga.page.getByTestId('create-group').click();
    await expect.poll(() => olga.page.getByTestId('conv-title').textContent()).toBe('Moderated');
    const conversationId = (await olga.page.getByTestId('conversation').first().getAttribute('data-id'))!;
    const pete = await signIn('Pete');
    const quinn = await signIn('Quinn');
    for (const side of [pete, quinn]) await side.page.getByTestId('conversation').filter({ hasText: 'Moderated' }).click();
    await demo.chat.messages.sendMessage('quinn', { conversationId, content: 'buy cheap watches at example.test' });

    // Pete reports Quinn's message; his own messages have no Report action.
    const spam = pete.page.locator('#messages [data-testid="message"]').filter({ hasText: 'buy cheap watches' });
    await expect.poll(() => spam.count()).toBe(1);
    await spam.hover();
    await spam.getByTestId('action-report').click();
    await spam.getByTestId('report-reason').selectOption('spam');
    await spam.getByTestId('report-submit').click();
    await expect.poll(() => pete.page.getByTestId('notice').textContent()).toBe('Reported: the group’s moderators will review it.');

    // Olga (the owner) sees it in the queue and deletes the message.
    await expect.poll(() => olga.page.getByTestId('members-toggle').textContent()).toBe('Members (3) · 1 report');
    await olga.page.getByTestId('members-toggle').click();
    const report = olga.page.getByTestId('report');
    await expect.poll(() => report.locator('.report-message').textContent()).toBe('Quinn: buy cheap watches at example.test');
    expect(await report.locator('.hint').textContent()).toMatch(/^spam · reported by Pete at /);
    await olga.page.screenshot({ path: join(outputDir, 'moderation-queue.png') });
    await report.getByTestId('report-delete').click();
    await expect.poll(() => messageTexts(pete.page)).toContain('Message deleted');
    await expect.poll(() => olga.page.getByTestId('report').count()).toBe(0);
    expect(await olga.page.getByTestId('members-toggle').textContent()).toBe('Members (3)');

    // Slow mode: members are told, and a second message within the period says why it waits.
    await olga.page.getByTestId('slow-mode-select').selectOption('10');
    await expect.poll(() => pete.page.getByTestId('slow-mode-notice').textContent()).toBe('🐢 slow mode: one message every 10 s');
    await send(pete, 'first under slow mode');
    await expect.poll(() => pending(pete.page)).toBe(0);
    await send(pete, 'second under slow mode');
    await expect.poll(() => pete.page.getByTestId('pending').textContent()).toMatch(/^slow mode \(one message every 10 s\) — sending again in \d+ s$/);
    await pete.page.screenshot({ path: join(outputDir, 'slow-mode.png') });
    await olga.page.getByTestId('slow-mode-select').selectOption('0');
    await expect.poll(() => pete.page.getByTestId('slow-mode-notice').count()).toBe(0);

    // Mute Pete: he is told he can read but not send; unmute.
    const peteRow = olga.page.locator('[data-testid="member"][data-user="pete"]');
    await peteRow.getByTestId('mute').click();
    await expect.poll(() => peteRow.getByTestId('member-muted').count()).toBe(1);
    await expect.poll(() => pete.page.getByTestId('restriction').textContent()).toBe('A moderator muted you in this group: you can read, not send.');
    await peteRow.getByTestId('unmute').click();
    await expect.poll(() => pete.page.getByTestId('restriction').isVisible()).toBe(false);

    // Ban Quinn (asked first): the group leaves Quinn's page with a notice; the ban is listed, and lifted.
    const quinnRow = olga.page.locator('[data-testid="member"][data-user="quinn"]');
    await quinnRow.getByTestId('ban').click();
    await quinnRow.getByTestId('confirm-ban').click();
    await expect.poll(() => olga.page.getByTestId('banned').count()).toBe(1);
    await expect.poll(() => olga.page.locator('[data-testid="member"][data-user="quinn"]').count()).toBe(0);
    await expect.poll(() => quinn.page.getByTestId('notice').textContent()).toBe('A moderator banned you from that group.');
    await expect.poll(() => quinn.page.getByTestId('conversation').count()).toBe(0);
    await olga.page.getByTestId('unban').click();
    await expect.poll(() => olga.page.getByTestId('banned').count()).toBe(0);

    // Pete is no moderator: his member list has no actions.
    await pete.page.getByTestId('members-toggle').click();
    await expect.poll(() => pete.page.getByTestId('member').count()).toBe(2);
    expect(await pete.page.getByTestId('mute').count()).toBe(0);
    expect(await pete.page.getByTestId('slow-mode-select').count()).toBe(0);
    expect([...olga.errors, ...pete.errors, ...quinn.errors]).toEqual([]);
    for (const side of [olga, pete, quinn]) await side.page.context().close();
  }, 90_000);
  it('threads and mentions: a reply in a thread panel with @ completion, the root counts it, the mention shows in the list', async () => {
    for (const name of ['Tara', 'Uma']) await fetch(`${demo.url}/demo/login`, { method: 'POST', body: JSON.stringify({ name }) });
    const tara = await signIn('Tara');
    await tara.page.getByTestId('new-group').click();
    await tara.page.getByTestId('group-name').fill('Threads');
    await tara.page.locator('label').filter({ hasText: 'Uma' }).getByTestId('group-member').check();
    await tara.page.getByTestId('create-group').click();
    await expect.poll(() => tara.page.getByTestId('conv-title').textContent()).toBe('Threads');
    await send(tara, 'Plans for Friday?');
    const uma = await signIn('Uma');
    await uma.page.getByTestId('conversation').filter({ hasText: 'Threads' }).click();

    // Uma opens the thread of Tara's message and answers, completing @Tara.
    const root = uma.page.locator('#messages [data-testid="message"]').filter({ hasText: 'Plans for Friday?' });
    await expect.poll(() => root.count()).toBe(1);
    await root.hover();
    await root.getByTestId('action-thread').click();
    await expect.poll(() => uma.page.getByTestId('thread-panel').isVisible()).toBe(true);
    await uma.page.getByTestId('thread-input').pressSequentially('Works for me @Ta');
    await expect.poll(() => uma.page.getByTestId('thread-panel').getByTestId('mention-suggestion').allTextContents()).toEqual(['@Tara']);
    await uma.page.getByTestId('thread-input').press('Enter');
    await expect.poll(() => uma.page.getByTestId('thread-input').inputValue()).toBe('Works for me @Tara ');
    await uma.page.getByTestId('thread-input').press('Enter');
    await expect.poll(() => uma.page.getByTestId('thread-reply-text').allTextContents()).toEqual(['Works for me @Tara']);

    // Tara: the reply is not in the timeline; the root says "1 reply" with one unread, and the thread opens on it.
    await expect.poll(() => tara.page.locator('#messages [data-testid="thread-summary"]').textContent()).toMatch(/^💬 1 reply/);
    expect(await messageTexts(tara.page)).not.toContain('Works for me @Tara');
    await expect.poll(() => tara.page.getByTestId('thread-unread').textContent()).toBe('1');
    await tara.page.getByTestId('thread-summary').click();
    await expect.poll(() => tara.page.getByTestId('thread-reply-text').allTextContents()).toEqual(['Works for me @Tara']);
    await expect.poll(() => tara.page.getByTestId('thread-unread').count()).toBe(0);
    await tara.page.screenshot({ path: join(outputDir, 'thread-panel.png') });
    const stored = await demo.chat.store.listThreadReadStates('tara', (await tara.page.getByTestId('conversation').first().getAttribute('data-id'))!, 10);
    expect(stored.map((t) => t.unreadCount)).toEqual([0]);

    // A mention in the timeline: Tara, elsewhere, sees @1 beside the unread count.
    await tara.page.getByTestId('thread-close').click();
    await tara.page.getByTestId('new-direct').click();
    await tara.page.getByTestId('pick-user').filter({ hasText: 'Uma' }).click();
    await uma.page.getByTestId('composer-input').pressSequentially('@Ta');
    await uma.page.locator('#composer').getByTestId('mention-suggestion').filter({ hasText: '@Tara' }).click();
    await uma.page.getByTestId('composer-input').pressSequentially('see above');
    await uma.page.getByTestId('composer-input').press('Enter');
    const threads = tara.page.getByTestId('conversation').filter({ hasText: 'Threads' });
    await expect.poll(() => threads.getByTestId('mention-badge').textContent()).toBe('@1');
    await tara.page.screenshot({ path: join(outputDir, 'threads-mentions.png') });
    expect([...tara.errors, ...uma.errors]).toEqual([]);
    for (const side of [tara, uma]) await side.page.context().close();
  }, 90_000);
});
