// Browser test of login with a token: the page at /?token=... against a chatd that
// requires one (run.sh starts it with --chat.jwt-secret=$JWT_SECRET; BROWSER_TEST picks
// this file). Tokens are signed here with node's crypto, as the application would.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
  CHAT_URL, WAIT, pageErrors, closeAll, waitForConnected, waitForMessage, say, launch,
} from './helpers.mjs';

const SECRET = process.env.JWT_SECRET;

function sign(claims) {
  const b64u = (x) => Buffer.from(x).toString('base64url');
  const head = b64u(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64u(JSON.stringify(claims));
  const sig = crypto.createHmac('sha256', SECRET).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

const now = () => Math.floor(Date.now() / 1000);

describe('login with a token in Chromium', { timeout: 120000 }, () => {
  after(closeAll);

  test('a page opened with a valid token is that user, and the token leaves the address bar', async () => {
    assert.ok(CHAT_URL && SECRET, 'set CHAT_URL and JWT_SECRET');
    const page = await launch('dora');
    await page.goto(`${CHAT_URL}?token=${sign({ sub: 'dora', exp: now() + 600 })}`, { waitUntil: 'domcontentloaded' });
    await waitForConnected(page, 'dora');
    assert.equal(await page.inputValue('#name'), 'dora', 'the name is the token\'s sub');
    assert.ok(!page.url().includes('token='), `the token is not left in the URL: ${page.url()}`);
    const hello = `hello with a token ${now()}`;
    await say(page, hello);
    await waitForMessage(page, hello, '#messages .msg:not(.pending)');
  });

  test('a refused token is explained, and the page stops retrying', async () => {
    const page = await launch('eve');
    await page.goto(`${CHAT_URL}?token=${sign({ sub: 'eve', exp: now() - 60 })}`, { waitUntil: 'domcontentloaded' });
    await page.locator('#messages, body').filter({ hasText: 'refused your login token: token expired' })
      .first().waitFor({ timeout: WAIT });
    assert.notEqual(await page.getAttribute('#status', 'data-state'), 'connected');
    assert.equal(await page.textContent('#connect'), 'Join', 'no reconnect countdown');
  });

  test('no script errors', () => {
    assert.deepEqual(pageErrors, []);
  });
});
