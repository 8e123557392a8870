// Browser test of the chat page: two people in headless Chromium against a running chatd.
//   CHAT_URL=http://127.0.0.1:PORT/ node --test chat.test.mjs
// Env: CHAT_URL (required), SCREENSHOT (default ../../build/chat-page.png, relative to this
// folder), CHROMIUM (default /usr/bin/chromium), WAIT_MS (default 10000).
// Chromium that cannot start fails the suite; nothing here is skipped.
import { describe, test, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CHAT_URL, CHROMIUM, WAIT, pageErrors, closeAll, users, waitForUsers, waitForConnected,
  waitForMessage, join, say, switchRoom, has, lacks, exactly, launch,
} from './helpers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const SCREENSHOT = process.env.SCREENSHOT
  ? path.resolve(process.env.SCREENSHOT)
  : path.resolve(here, '../../build/chat-page.png');
const token = Date.now().toString(36);

let alice;
let bob;

// ---- suite ----
describe('chat page in Chromium', { timeout: 180000 }, () => {
  // Launching is a test of its own (not a hook), so a Chromium that cannot start shows up as
  // failed tests in the summary: this one, and every later one that needs the pages.
  test('Chromium starts (one fresh profile per person)', async () => {
    assert.ok(CHAT_URL, 'set CHAT_URL to the server, e.g. http://127.0.0.1:3000/');
    assert.ok(fs.existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}`);
    alice = await launch('alice');
    bob = await launch('bob');
  });

  beforeEach((t) => {
    if (!t.name.startsWith('Chromium starts')) assert.ok(alice && bob, 'Chromium did not start: see the first test');
  });

  after(closeAll);

  test('alice and bob join and both show connected', async () => {
    await join(alice, 'alice');
    await join(bob, 'bob');
    assert.equal((await alice.textContent('#current-room')).trim(), 'general');
    await waitForUsers(bob, has, 'alice', "bob's list should show alice");
    await waitForUsers(alice, has, 'bob', "alice's list should show bob");
  });

  test("alice's message reaches bob, as text only", async () => {
    const hello = `hello from alice ${token}`;
    await say(alice, hello);
    await waitForMessage(bob, hello);
    const own = await waitForMessage(alice, hello, '#messages .msg.mine');
    await own.first().locator('.delivery', { hasText: 'delivered' }).waitFor({ timeout: WAIT });
    assert.equal(await alice.locator('#messages .msg').filter({ hasText: hello }).count(), 1, 'no duplicate of own message');
    assert.equal(await alice.inputValue('#message'), '', 'composer is cleared after sending');

    const html = `<img src=x onerror="window.__xss=1"> <b>not bold</b> ${token}`;
    await say(alice, html);
    const shown = await waitForMessage(bob, `not bold</b> ${token}`);
    assert.equal(await shown.first().locator('.text').textContent(), html);
    assert.equal(await bob.locator('#messages img, #messages b').count(), 0, 'markup must not be rendered');
    assert.equal(await bob.evaluate(() => window.__xss), undefined);
  });

  test('alice moves to lobby: bob no longer lists her, she is alone', async () => {
    await switchRoom(alice, 'lobby');
    await waitForUsers(alice, exactly, ['alice'], "alice's list in lobby should be just alice");
    await waitForUsers(bob, lacks, 'alice', "bob's list in general should no longer have alice");
    assert.deepEqual(await users(bob), ['bob']);
  });

  test('bob follows to lobby: alice lists him', async () => {
    await switchRoom(bob, 'lobby');
    await waitForUsers(alice, has, 'bob', "alice's list should show bob after he joined lobby");
    await waitForUsers(bob, exactly, ['alice', 'bob'], "bob's lobby list should be alice and bob");
    const hi = `Hi Alice! Made it to the lobby ${token}`;
    await say(bob, hi);
    await waitForMessage(alice, hi);
    const welcome = 'Welcome! It is quieter in here.';
    await say(alice, welcome);
    await waitForMessage(bob, welcome);
    // general's messages stay in general
    assert.equal(await alice.locator('#messages .msg').filter({ hasText: `hello from alice ${token}` }).count(), 0);
  });

  test('direct message with /msg shows on both sides, marked direct', async () => {
    const psst = `psst, this is just between us ${token}`;
    await say(bob, `/msg alice ${psst}`);
    await waitForMessage(alice, psst, '#messages .msg.direct');
    await waitForMessage(bob, psst, '#messages .msg.direct.mine');
  });

  test('a reload reconnects to the same room and shows its history once', async () => {
    await bob.reload({ waitUntil: 'domcontentloaded' });
    await waitForConnected(bob, 'bob after reload');
    await bob.waitForFunction(() => document.querySelector('#current-room')?.textContent.trim() === 'lobby', null, { timeout: WAIT });
    const hi = `Hi Alice! Made it to the lobby ${token}`;
    await waitForMessage(bob, hi);
    await waitForMessage(bob, 'Welcome! It is quieter in here.');
    assert.equal(await bob.locator('#messages .msg').filter({ hasText: hi }).count(), 1, 'history is not duplicated');
    await waitForUsers(alice, has, 'bob', "alice's list should show bob again after his reload");
  });

  test('a dropped connection resumes after the last message shown: none missed, none twice', async () => {
    // bob's network goes away while alice says more than the join history (20) holds.
    await bob.evaluate(() => { window.testRefuseSockets = true; window.testSockets.at(-1).close(); });
    await bob.waitForFunction(() => document.querySelector('#status')?.dataset.state !== 'connected', null, { timeout: WAIT });
    const lines = Array.from({ length: 25 }, (_, i) => `while bob was away ${i} ${token}`);
    for (const line of lines) await say(alice, line);
    await waitForMessage(alice, lines.at(-1), '#messages .msg:not(.pending)');
    assert.notEqual(await bob.getAttribute('#status', 'data-state'), 'connected', 'bob was away the whole time');
    // It comes back ("Retry now" skips the backoff): the page resumes with `since`.
    await bob.evaluate(() => { window.testRefuseSockets = false; });
    await bob.click('#connect');
    await waitForConnected(bob, 'bob after the drop');
    for (const line of lines) {
      const loc = await waitForMessage(bob, line);
      assert.equal(await loc.count(), 1, `"${line}" shown once`);
    }
  });

  test('fits a 375px-wide screen with the people list below the log', async () => {
    await bob.setViewportSize({ width: 375, height: 740 });
    const box = await bob.evaluate(() => {
      const r = (sel) => document.querySelector(sel).getBoundingClientRect();
      return {
        scrollWidth: document.documentElement.scrollWidth,
        log: r('#messages'), users: r('#users'), send: r('#send'),
      };
    });
    assert.ok(box.scrollWidth <= 375, `no horizontal scrolling (page is ${box.scrollWidth}px wide)`);
    assert.ok(box.users.top >= box.log.bottom, 'people list sits below the message log');
    assert.ok(box.send.right <= 375, 'send button is on screen');
    const narrow = SCREENSHOT.replace(/(\.png)?$/i, '-375.png');
    fs.mkdirSync(path.dirname(narrow), { recursive: true });
    await bob.screenshot({ path: narrow, fullPage: true });
    await bob.setViewportSize({ width: 1280, height: 800 });
  });

  test('no script errors, and a full-page screenshot is saved', async () => {
    assert.deepEqual(pageErrors, []);
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await alice.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.ok(fs.statSync(SCREENSHOT).size > 1000, 'screenshot written');
    console.log(`screenshot: ${SCREENSHOT}`);
  });
});
