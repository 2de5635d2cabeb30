import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemo } from '../scripts/build.mjs';
import { startDemo } from '../src/server.js';

/**
 * The demo page in a real browser: Debian's Chromium through playwright-core (never a browser
 * download). Without Chromium the suite skips and says why, unless PARLEY_REQUIRE_SERVICES is
 * set (as in CI, whose .ci/run installs it), where that is a failure.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const required = process.env.PARLEY_REQUIRE_SERVICES === '1';
if (!haveChromium && !required) console.warn(`[browser test] skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);

const outputDir = fileURLToPath(new URL('../test-output/', import.meta.url));

describe.skipIf(!haveChromium && !required)('demo page in Chromium', () => {
  let browser: Browser;
  let demo: Awaited<ReturnType<typeof startDemo>>;
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-demo-'));

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`PARLEY_REQUIRE_SERVICES=1 but there is no Chromium at ${CHROMIUM}`);
    await buildDemo({ only: ['web'] });
    demo = await startDemo({ port: 0, dataDir });
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

  async function signIn(name: string): Promise<{ page: Page; dialogs: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
    const page = await context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(demo.url);
    await page.getByTestId('login-name').fill(name);
    await page.getByTestId('login-submit').click();
    await expect.poll(() => page.getByTestId('me').textContent()).toBe(name);
    await expect.poll(() => page.getByTestId('conn-status').textContent()).toBe('online');
    return { page, dialogs };
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
});
