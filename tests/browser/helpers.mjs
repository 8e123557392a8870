// What the browser tests share: Chromium with a fresh profile per person, and waits on
// the chat page's state. Env: CHAT_URL (required), CHROMIUM (default /usr/bin/chromium),
// WAIT_MS (default 10000).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHAT_URL = process.env.CHAT_URL;
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const WAIT = Number(process.env.WAIT_MS || 10000);

const profileDirs = [];
const contexts = [];
export const pageErrors = [];

// Closes every browser and removes its profile.
export async function closeAll() {
  for (const ctx of contexts) await ctx.close().catch(() => {});
  for (const dir of profileDirs) fs.rmSync(dir, { recursive: true, force: true });
}

// ---- helpers ----
export async function users(page) {
  return page.$$eval('#users li', (lis) => lis.map((li) => li.textContent.trim()).sort());
}

// Polls the page's users list (sorted names) until check(names, arg) holds, or WAIT passes.
export async function waitForUsers(page, check, arg, description) {
  const deadline = Date.now() + WAIT;
  let names = [];
  for (;;) {
    names = await users(page);
    if (check(names, arg)) return names;
    if (Date.now() > deadline) break;
    await new Promise((resolve) => { setTimeout(resolve, 50); });
  }
  throw new Error(`${description}; after ${WAIT} ms the list shows ${JSON.stringify(names)}`);
}

export async function waitForConnected(page, who) {
  try {
    await page.waitForFunction(() => {
      const s = document.querySelector('#status');
      return s && s.dataset.state === 'connected' && /connected/.test(s.textContent);
    }, null, { timeout: WAIT });
  } catch (err) {
    const text = await page.textContent('#status').catch(() => '?');
    throw new Error(`${who}: #status never said connected, it says ${JSON.stringify(text?.trim())} (${err.message.split('\n')[0]})`);
  }
}

export async function waitForMessage(page, text, selector = '#messages .msg') {
  const loc = page.locator(selector).filter({ hasText: text });
  await loc.first().waitFor({ state: 'visible', timeout: WAIT });
  return loc;
}

export async function join(page, name) {
  await page.goto(CHAT_URL, { waitUntil: 'domcontentloaded' });
  await page.fill('#name', name);
  await page.click('#connect');
  await waitForConnected(page, name);
}

export async function say(page, text) {
  await page.fill('#message', text);
  await page.press('#message', 'Enter');
}

export async function switchRoom(page, room) {
  await page.fill('#room', room);
  await page.click('#switch-room');
  await page.waitForFunction((r) => document.querySelector('#current-room')?.textContent.trim() === r, room, { timeout: WAIT });
}

export const has = (names, name) => names.includes(name);
export const lacks = (names, name) => !names.includes(name);
export const exactly = (names, list) => names.join('\n') === [...list].sort().join('\n');

// Each person gets a browser of their own (fresh profile), as two people on two machines.
export async function launch(who) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `actor-chat-${who}-`));
  profileDirs.push(dir);
  // launch() refuses --user-data-dir; a persistent context on a fresh directory is the same.
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30000,
    viewport: { width: 1280, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
      '--disable-background-networking', '--disable-component-update', '--no-first-run',
      '--disable-sync'],
  });
  contexts.push(ctx);
  // The test's handle on the page's WebSockets: it can cut the current one, and refuse new
  // ones for a while (as a network that went away), without touching the page's code.
  await ctx.addInitScript(() => {
    const Native = window.WebSocket;
    window.testSockets = [];
    window.testRefuseSockets = false;
    window.WebSocket = class extends Native {
      constructor(url, protocols) {
        if (window.testRefuseSockets) throw new DOMException('the network is down (test)', 'NetworkError');
        super(url, protocols);
        window.testSockets.push(this);
      }
    };
  });
  const page = ctx.pages()[0] || await ctx.newPage();
  page.on('pageerror', (err) => pageErrors.push(`${who}: ${err.message}`));
  return page;
}
