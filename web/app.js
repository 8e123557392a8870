// actor-chat web client. Plain JS, no build step. Wire contract: PROTOCOL.md (v1).
// User-provided text is only ever written with textContent, never innerHTML.
'use strict';

(() => {
  const KEY_NAME = 'actor-chat.name';
  const KEY_RECENT = 'actor-chat.recent-rooms';
  const KEY_ROOM = 'actor-chat.room'; // sessionStorage: the room this tab was in
  const KEY_TOKEN = 'actor-chat.token'; // sessionStorage: the login token (/?token=...)
  const DEFAULT_ROOM = 'general';
  const ROOM_RE = /^[A-Za-z0-9_.-]{1,64}$/;
  const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;
  const BACKOFF_BASE_MS = 500;
  const BACKOFF_MAX_MS = 10000;
  const MAX_RECENT = 8;
  const MAX_LOG_ITEMS = 500;
  // The server's defaults (max-message-chars, max-frame-bytes): a longer message would be
  // refused, and a bigger frame would close the connection (1009), so the page stops it first.
  const MAX_MESSAGE_CHARS = 2000;
  const MAX_FRAME_BYTES = 4096;
  const CONFIRM_TIMEOUT_MS = 8000;

  const $ = (id) => document.getElementById(id);
  const el = {
    status: $('status'), statusText: $('status-text'), whoami: $('whoami'),
    nameForm: $('name-form'), name: $('name'), connect: $('connect'), nameError: $('name-error'),
    roomForm: $('room-form'), room: $('room'), switchRoom: $('switch-room'), roomError: $('room-error'),
    recent: $('recent-rooms'), currentRoom: $('current-room'), node: $('node'),
    messages: $('messages'), empty: $('empty'),
    composer: $('composer'), message: $('message'), send: $('send'),
    users: $('users'), userCount: $('user-count'),
  };

  // ---- storage (may be unavailable, e.g. some private modes) ----
  const store = {
    get(area, key) { try { return window[area].getItem(key); } catch { return null; } },
    set(area, key, value) { try { window[area].setItem(key, value); } catch { /* ignore */ } },
  };

  const state = {
    name: '',            // the name we ask for
    me: null,            // the name the server gave us (welcome.user)
    node: null,
    wanted: false,       // the user wants to be connected
    ws: null,
    welcomed: false,
    room: store.get('sessionStorage', KEY_ROOM) || DEFAULT_ROOM, // room we want to be in
    joinedRoom: null,    // room the server confirmed
    renderedRoom: null,  // room whose messages the log shows
    users: new Set(),
    attempt: 0,
    retryAt: 0,
    retryTimer: 0,
    tickTimer: 0,
    refSeq: 0,
    // Own chat messages shown before the server confirmed them: ref -> {ref, el, text, room,
    // timer}. One that failed without a definite answer (timeout, a rate_limited error
    // without ref) moves to `limbo`, so a late new_message or ack still confirms it.
    pending: new Map(),
    limbo: [],
    seen: new Map(),     // "room:id" -> element, for the rendered room
    lastId: 0,           // the highest message id shown for the rendered room: a
                         // reconnect resumes after it (`since`), missing nothing
    directs: [],         // direct messages, shown in every room
    directKeys: new Set(),
    lostNoticeShown: false,
    roomRef: null,       // ref of the last change_room we sent
    token: '',           // login token (/?token=...): the server then names us
  };
  if (!ROOM_RE.test(state.room)) state.room = DEFAULT_ROOM;

  // ---- small helpers ----
  function make(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function parseTime(sent) {
    if (typeof sent !== 'string') return NaN;
    // Keep at most millisecond precision so every engine parses it.
    return Date.parse(sent.replace(/(\.\d{3})\d+/, '$1'));
  }

  function hhmm(ms) {
    const d = Number.isFinite(ms) ? new Date(ms) : new Date();
    return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  }

  function hue(name) {
    let h = 0;
    for (const ch of String(name)) h = (h * 31 + ch.codePointAt(0)) >>> 0;
    return h % 360;
  }

  function avatar(name) {
    // The initial is drawn by CSS (attr()), so it is not part of any element's text.
    const a = make('span', 'avatar');
    a.dataset.initial = (Array.from(String(name || '?'))[0] || '?').toUpperCase();
    a.style.setProperty('--h', String(hue(name)));
    a.setAttribute('aria-hidden', 'true');
    return a;
  }

  function validName(name) {
    if (!name) return 'Please enter a name.';
    if (Array.from(name).length > 32) return 'At most 32 characters.';
    if (CONTROL_RE.test(name)) return 'No control characters, please.';
    return '';
  }

  function nextRef() {
    state.refSeq += 1;
    return `c${Date.now().toString(36)}-${state.refSeq}`;
  }

  // ---- connection ----
  function wsUrl(name) {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    // Back to general after a drop: resume after the last message shown.
    const resume = state.room === DEFAULT_ROOM && state.renderedRoom === DEFAULT_ROOM && state.lastId > 0
      ? `&since=${state.lastId}` : '';
    const login = state.token ? `&token=${encodeURIComponent(state.token)}` : '';
    return `${proto}//${location.host}/ws?name=${encodeURIComponent(name)}${resume}${login}`;
  }

  function isOpen() {
    return state.ws !== null && state.ws.readyState === WebSocket.OPEN;
  }

  function sendFrame(type, payload, ref) {
    if (!isOpen()) return false;
    const env = { type };
    if (payload !== undefined) env.payload = payload;
    if (ref !== undefined) env.ref = ref;
    state.ws.send(JSON.stringify(env));
    return true;
  }

  function clearRetry() {
    clearTimeout(state.retryTimer);
    clearInterval(state.tickTimer);
    state.retryTimer = 0;
    state.tickTimer = 0;
    state.retryAt = 0;
  }

  function dropSocket(code) {
    const ws = state.ws;
    state.ws = null;
    state.welcomed = false;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try { ws.close(code || 1000); } catch { /* ignore */ }
    }
  }

  function connect() {
    clearRetry();
    dropSocket(1000);
    if (!state.wanted) return render();
    // Tried even when navigator.onLine is false: a server on this machine is still reachable.
    let ws;
    try {
      ws = new WebSocket(wsUrl(state.name));
    } catch (err) {
      notice(`Cannot open the connection: ${err.message}`, 'error');
      scheduleReconnect();
      return;
    }
    state.ws = ws;
    ws.onmessage = (ev) => { if (ws === state.ws) onFrame(ev.data); };
    ws.onclose = (ev) => { if (ws === state.ws) onClosed(ev); };
    ws.onerror = () => { /* a close event follows */ };
    render();
  }

  // A refused login: a browser cannot read the 401's body, so ask /ws plainly for it.
  // Reconnecting would only be refused again: stop and say why.
  async function explainRefusal() {
    let reason = '';
    try {
      const res = await fetch(`/ws?token=${encodeURIComponent(state.token)}`, { cache: 'no-store' });
      if (res.status !== 401) return false;
      reason = (await res.text()).trim();
    } catch { return false; }
    state.wanted = false;
    clearRetry();
    notice(`The server refused your login token: ${reason}. Open the page with a new /?token=...`, 'error');
    render();
    return true;
  }

  function onClosed(ev) {
    const wasWelcomed = state.welcomed;
    state.ws = null;
    state.welcomed = false;
    failPending('connection lost');
    if (state.token && (!wasWelcomed || ev.code === 1008)) {
      // Refused at the door, or the token ran out during the session.
      explainRefusal().then((refused) => { if (!refused && state.wanted) scheduleReconnect(); });
      render();
      return;
    }
    if (wasWelcomed && !state.lostNoticeShown) {
      const why = ev.code === 1001 ? 'the server is restarting'
        : ev.code === 1008 ? 'closed by policy'
          : ev.code === 1009 ? 'a message was too large'
            : ev.code === 1013 ? 'the server is busy'
              : 'connection lost';
      notice(`Disconnected: ${why}${ev.reason ? ` (${ev.reason})` : ''}. Reconnecting…`, 'warn');
      state.lostNoticeShown = true;
    }
    if (state.wanted) scheduleReconnect();
    render();
  }

  function scheduleReconnect() {
    clearRetry();
    if (!state.wanted) return;
    // Offline: retry slowly; the 'online' event reconnects at once.
    const cap = navigator.onLine === false ? BACKOFF_MAX_MS
      : Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** state.attempt);
    const delay = Math.round(cap / 2 + Math.random() * cap / 2); // "equal jitter"
    state.attempt = Math.min(state.attempt + 1, 10);
    state.retryAt = Date.now() + delay;
    state.retryTimer = setTimeout(connect, delay);
    state.tickTimer = setInterval(render, 1000);
    render();
  }

  window.addEventListener('online', () => {
    if (state.wanted && !state.ws) { state.attempt = 0; connect(); } else render();
  });
  window.addEventListener('offline', render);

  // ---- incoming frames ----
  function onFrame(data) {
    let env;
    try { env = JSON.parse(data); } catch { return; }
    if (!env || typeof env.type !== 'string') return;
    const p = env.payload && typeof env.payload === 'object' ? env.payload : {};
    switch (env.type) {
      case 'welcome': return onWelcome(p);
      case 'room_changed': return onRoomChanged(p);
      case 'new_message': return onNewMessage(p);
      case 'history': return onHistory(p);
      case 'presence_diff': return onPresenceDiff(p);
      case 'presence': return onPresence(p);
      case 'direct_message': return onDirect(p);
      case 'ack': return onAck(p, env.ref);
      case 'error': return onError(p, env.ref);
      default: return undefined; // newer server, older page: ignore
    }
  }

  function onWelcome(p) {
    state.welcomed = true;
    state.attempt = 0;
    state.lostNoticeShown = false;
    state.me = typeof p.user === 'string' ? p.user : state.name;
    state.node = typeof p.node === 'string' ? p.node : null;
    state.joinedRoom = typeof p.room === 'string' ? p.room : DEFAULT_ROOM;
    if (state.me !== state.name) {
      state.name = state.me;
      el.name.value = state.me;
    }
    if (state.room !== state.joinedRoom) {
      // Reconnected: go back to the room we were in, resuming after the last message
      // shown; room_changed completes it.
      state.roomRef = nextRef();
      const resume = state.renderedRoom === state.room && state.lastId > 0;
      sendFrame('change_room', resume ? { name: state.room, since: state.lastId } : { name: state.room },
        state.roomRef);
    } else {
      enterRoom(state.joinedRoom, null);
    }
    render();
  }

  function onRoomChanged(p) {
    if (typeof p.name !== 'string') return;
    state.joinedRoom = p.name;
    enterRoom(p.name, Array.isArray(p.users) ? p.users : null);
    render();
  }

  function enterRoom(room, users) {
    state.room = room;
    store.set('sessionStorage', KEY_ROOM, room);
    rememberRoom(room);
    if (state.renderedRoom !== room) {
      clearLog();
      state.renderedRoom = room;
      notice(`You are in #${room}`, 'divider');
      for (const d of state.directs) insertItem(d.el, d.t, null, null);
    }
    if (users) setUsers(users); else sendFrame('list_users');
    // The server follows room_changed (or welcome) with a `history` event: the room's
    // newest messages, or, when we resumed, every one we missed.
  }

  function onNewMessage(p) {
    if (p.room !== undefined && p.room !== state.renderedRoom) return;
    addMessage(p, false);
  }

  function onHistory(p) {
    if (p.room !== undefined && p.room !== state.renderedRoom) return;
    if (!Array.isArray(p.messages)) return;
    el.messages.setAttribute('aria-busy', 'true');
    for (const m of p.messages) addMessage(m, true);
    el.messages.removeAttribute('aria-busy');
    updateEmpty();
  }

  // Presence counts only for the room we are in and show (not during a rejoin after reconnect).
  function isCurrent(room) {
    return room === state.joinedRoom && room === state.renderedRoom;
  }

  // Who came and went since the room's last diff, as set operations: a name already
  // listed (ourselves, or one room_changed listed) changes nothing and says nothing.
  function onPresenceDiff(p) {
    if (!isCurrent(p.room)) return;
    const names = (xs) => (Array.isArray(xs) ? xs.filter((u) => typeof u === 'string') : []);
    const came = names(p.joins).filter((u) => !state.users.has(u));
    const went = names(p.leaves).filter((u) => state.users.has(u));
    if (came.length === 0 && went.length === 0) return;
    for (const u of came) state.users.add(u);
    for (const u of went) state.users.delete(u);
    renderUsers();
    const say = (xs, verb) => {
      const others = xs.filter((u) => u !== state.me);
      if (others.length === 0) return;
      // A storm of joins is one line, not hundreds.
      const shown = others.length <= 3 ? others.join(', ') : `${others.slice(0, 3).join(', ')} and ${others.length - 3} more`;
      notice(`${shown} ${verb}`, 'presence');
    };
    say(came, 'joined');
    say(went, 'left');
  }

  function onPresence(p) {
    if (p.room !== undefined && !isCurrent(p.room)) return;
    if (Array.isArray(p.users)) setUsers(p.users);
  }

  function onDirect(p) {
    if (typeof p.message !== 'string') return;
    const key = `${p.from}\u0000${p.to}\u0000${p.sent}\u0000${p.message}`;
    if (state.directKeys.has(key)) return;
    state.directKeys.add(key);
    const t = parseTime(p.sent);
    const mine = p.from === state.me;
    const node = renderMessage({
      from: p.from, text: p.message, t, mine, direct: true,
      label: mine ? `to ${p.to}` : (p.to === state.me ? 'direct message' : `to ${p.to}`),
    });
    const item = { el: node, t: Number.isFinite(t) ? t : Date.now() };
    state.directs.push(item);
    if (state.directs.length > 100) state.directs.shift();
    insertItem(node, item.t, null, null);
    updateEmpty();
  }

  function onAck(p, ref) {
    const pend = ref !== undefined ? takePending((x) => x.ref === ref) : undefined;
    if (!pend) return; // e.g. the ack of a send_direct
    const key = `${p.room}:${p.id}`;
    const existing = state.seen.get(key);
    if (existing && existing !== pend.el) {
      pend.el.remove();
      markDelivered(existing);
    } else {
      if (p.id !== undefined && p.room === state.renderedRoom) {
        pend.el.dataset.id = String(p.id);
        pend.el.dataset.key = key;
        state.seen.set(key, pend.el);
      }
      markDelivered(pend.el);
    }
  }

  function onError(p, ref) {
    const code = typeof p.code === 'string' ? p.code : 'error';
    const text = typeof p.message === 'string' && p.message ? p.message : code.replace(/_/g, ' ');
    const slowDown = 'not sent: slow down, too many messages';
    const pend = ref !== undefined ? takePending((x) => x.ref === ref) : undefined;
    if (pend) {
      markFailed(pend, code === 'rate_limited' ? slowDown : `not sent: ${text}`);
      return;
    }
    if (ref === undefined && code === 'rate_limited' && state.pending.size > 0) {
      // No ref to match: most likely our latest message. Keep it confirmable in case not.
      const latest = [...state.pending.values()].pop();
      takePending((x) => x === latest);
      markFailed(latest, slowDown);
      toLimbo(latest);
      return;
    }
    if (ref !== undefined && ref === state.roomRef && state.joinedRoom) {
      notice(`Could not join #${state.room}: ${text}`, 'error');
      state.room = state.joinedRoom;
      store.set('sessionStorage', KEY_ROOM, state.room);
      if (state.renderedRoom !== state.joinedRoom) enterRoom(state.joinedRoom, null);
      render();
      return;
    }
    notice(`${code}: ${text}`, 'error');
  }

  // ---- presence ----
  function setUsers(list) {
    state.users = new Set(list.filter((u) => typeof u === 'string'));
    renderUsers();
  }

  function renderUsers() {
    const names = [...state.users].sort((a, b) => a.localeCompare(b));
    const frag = document.createDocumentFragment();
    for (const name of names) {
      const li = make('li', name === state.me ? 'user me' : 'user');
      if (name === state.me) {
        li.append(avatar(name), make('span', 'user-name', name));
        li.title = 'you';
      } else {
        const b = make('button', 'user-button');
        b.type = 'button';
        b.title = `Send a direct message to ${name}`;
        b.append(avatar(name), make('span', 'user-name', name));
        b.addEventListener('click', () => startDirect(name));
        li.append(b);
      }
      frag.append(li);
    }
    el.users.replaceChildren(frag);
    el.userCount.textContent = String(names.length);
  }

  function startDirect(name) {
    const target = /\s|"/.test(name) ? `"${name.replace(/"/g, '')}"` : name;
    el.message.value = `/msg ${target} `;
    el.message.focus();
  }

  // ---- the log ----
  function clearLog() {
    el.messages.replaceChildren();
    state.seen.clear();
    state.lastId = 0;
    for (const [ref, pend] of state.pending) {
      if (pend.room !== state.room) { clearTimeout(pend.timer); state.pending.delete(ref); }
    }
    state.limbo = state.limbo.filter((x) => x.room === state.room);
    updateEmpty();
  }

  function lastT() {
    const last = el.messages.lastElementChild;
    return last ? Number(last.dataset.t) || 0 : 0;
  }

  // Insert keeping the log ordered by server time (then per-room id); items that are
  // newer than everything (the common case) go at the end.
  function insertItem(node, t, room, id) {
    node.dataset.t = String(t);
    let after = el.messages.lastElementChild;
    while (after) {
      const at = Number(after.dataset.t) || 0;
      const aid = after.dataset.id !== undefined ? Number(after.dataset.id) : NaN;
      const later = at > t || (at === t && id !== null && Number.isFinite(aid) && aid > id);
      if (!later) break;
      after = after.previousElementSibling;
    }
    const log = el.messages;
    const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    if (after) after.after(node); else log.prepend(node);
    while (el.messages.childElementCount > MAX_LOG_ITEMS) {
      const first = el.messages.firstElementChild;
      if (first.dataset.key) state.seen.delete(first.dataset.key);
      first.remove();
    }
    if (node === log.lastElementChild && (nearBottom || node.matches('.mine, .notice.error, .notice.warn, .notice.info'))) scrollToEnd();
  }

  function scrollToEnd() {
    const log = el.messages;
    log.scrollTop = log.scrollHeight;
  }

  function updateEmpty() {
    el.empty.hidden = el.messages.querySelector('.msg') !== null || !state.welcomed;
  }

  function notice(text, kind) {
    const li = make('li', `notice ${kind || ''}`.trim());
    li.append(make('span', 'notice-text', text));
    if (kind !== 'divider') {
      const tm = make('time', 'time', hhmm(Date.now()));
      li.append(tm);
    }
    insertItem(li, lastT(), null, null);
  }

  function renderMessage({ from, text, t, mine, direct, label }) {
    const li = make('li', 'msg');
    if (mine) li.classList.add('mine');
    if (direct) li.classList.add('direct');
    li.append(avatar(from));
    const bubble = make('div', 'bubble');
    const meta = make('div', 'meta');
    meta.append(make('span', 'from', mine ? `${from} (you)` : String(from)));
    if (label) meta.append(make('span', 'tag', label));
    const time = make('time', 'time', hhmm(t));
    if (Number.isFinite(t)) {
      time.dateTime = new Date(t).toISOString();
      time.title = new Date(t).toLocaleString();
    }
    meta.append(time);
    const body = make('p', 'text', text);
    const stateLine = make('span', 'delivery');
    bubble.append(meta, body, stateLine);
    li.append(bubble);
    return li;
  }

  function addMessage(m, fromHistory) {
    if (!m || typeof m.message !== 'string') return;
    const room = m.room !== undefined ? m.room : state.renderedRoom;
    const key = m.id !== undefined ? `${room}:${m.id}` : null;
    const t = parseTime(m.sent);
    const mine = m.from === state.me;
    if (key && state.seen.has(key)) {
      const existing = state.seen.get(key);
      updateTime(existing, t);
      if (existing.classList.contains('pending')) markDelivered(existing);
      return;
    }
    // Our own message coming back: adopt the optimistic copy instead of adding a second one.
    if (mine && !fromHistory) {
      const pend = takePending((x) => x.room === room && x.text === m.message);
      if (pend) {
        if (key) { pend.el.dataset.id = String(m.id); pend.el.dataset.key = key; state.seen.set(key, pend.el); }
        updateTime(pend.el, t);
        markDelivered(pend.el);
        return;
      }
    }
    const node = renderMessage({ from: m.from, text: m.message, t, mine });
    if (key) { node.dataset.id = String(m.id); node.dataset.key = key; state.seen.set(key, node); }
    const id = m.id !== undefined ? Number(m.id) : null;
    if (Number.isFinite(id) && room === state.renderedRoom && id > state.lastId) state.lastId = id;
    insertItem(node, Number.isFinite(t) ? t : lastT(), room, Number.isFinite(id) ? id : null);
    updateEmpty();
  }

  function updateTime(node, t) {
    if (!Number.isFinite(t)) return;
    const time = node.querySelector('.meta time');
    if (time) {
      time.textContent = hhmm(t);
      time.dateTime = new Date(t).toISOString();
      time.title = new Date(t).toLocaleString();
    }
  }

  function markDelivered(node) {
    node.classList.remove('pending', 'failed');
    node.classList.add('delivered');
    const d = node.querySelector('.delivery');
    if (d) d.textContent = '✓ delivered';
  }

  function markFailed(pend, why) {
    const node = pend.el;
    node.classList.remove('pending');
    node.classList.add('failed');
    const d = node.querySelector('.delivery');
    if (!d) return;
    d.replaceChildren(make('span', '', why + ' '));
    const retry = make('button', 'link-button', 'Retry');
    retry.type = 'button';
    retry.addEventListener('click', () => {
      if (!isOpen() || !state.welcomed) { notice('Not connected yet; try again in a moment.', 'warn'); return; }
      state.limbo = state.limbo.filter((x) => x !== pend);
      node.remove();
      sendChat(pend.text);
    });
    d.append(retry);
  }

  function failPending(why) {
    for (const [, pend] of state.pending) { clearTimeout(pend.timer); markFailed(pend, `not sent: ${why}`); }
    state.pending.clear();
    state.limbo = [];
  }

  // Removes and returns the first pending (or limbo) message matching `pred`.
  function takePending(pred) {
    for (const [ref, pend] of state.pending) {
      if (pred(pend)) { clearTimeout(pend.timer); state.pending.delete(ref); return pend; }
    }
    const i = state.limbo.findIndex(pred);
    return i >= 0 ? state.limbo.splice(i, 1)[0] : undefined;
  }

  function toLimbo(pend) {
    state.limbo.push(pend);
    if (state.limbo.length > 20) state.limbo.shift();
  }

  // ---- outgoing ----
  function sendChat(text) {
    const ref = nextRef();
    const node = renderMessage({ from: state.me, text, t: NaN, mine: true });
    node.classList.add('pending');
    node.querySelector('.delivery').textContent = 'sending…';
    const pend = { ref, el: node, text, room: state.renderedRoom, timer: 0 };
    pend.timer = setTimeout(() => {
      if (takePending((x) => x === pend)) {
        markFailed(pend, 'not confirmed by the server');
        toLimbo(pend);
      }
    }, CONFIRM_TIMEOUT_MS);
    state.pending.set(ref, pend);
    insertItem(node, lastT(), null, null);
    updateEmpty();
    if (!sendFrame('send_message', { message: text, from: state.me }, ref)) {
      takePending((x) => x === pend);
      markFailed(pend, 'not sent: not connected');
    }
  }

  function changeRoom(name) {
    if (!ROOM_RE.test(name)) {
      el.roomError.textContent = 'Room names use 1-64 letters, digits, "_", "." or "-".';
      el.room.setAttribute('aria-invalid', 'true');
      return false;
    }
    el.roomError.textContent = '';
    el.room.removeAttribute('aria-invalid');
    if (name === state.joinedRoom && state.welcomed) return true;
    state.room = name;
    store.set('sessionStorage', KEY_ROOM, name);
    if (state.welcomed) {
      state.roomRef = nextRef();
      sendFrame('change_room', { name }, state.roomRef);
    } else {
      notice(`You will join #${name} once connected.`, 'warn');
    }
    render();
    return true;
  }

  const HELP = 'Commands: /msg NAME TEXT (direct message; quote names with spaces), /join ROOM, /help. Start with // to send a text that begins with /.';

  function tooLong(message, extra) {
    const chars = Array.from(message).length;
    if (chars > MAX_MESSAGE_CHARS) return `Message too long: ${chars} characters, at most ${MAX_MESSAGE_CHARS}.`;
    const frame = JSON.stringify({ type: 'send_message', payload: { message, from: state.me, to: extra }, ref: 'c0000000000-000000' });
    if (new TextEncoder().encode(frame).length > MAX_FRAME_BYTES) return 'Message too long: please split it.';
    return '';
  }

  function onComposerSubmit(ev) {
    ev.preventDefault();
    const raw = el.message.value;
    const text = raw.trim();
    if (!text) return;
    if (!state.welcomed) { notice('Not connected yet.', 'warn'); return; }
    if (state.joinedRoom !== state.room) { notice(`Still joining #${state.room}, one moment…`, 'warn'); return; }
    const problem = tooLong(text, '');
    if (problem) { notice(problem, 'error'); return; }
    if (text.startsWith('/') && !text.startsWith('//')) {
      const dm = /^\/(?:msg|dm|w)\s+(?:"([^"]+)"|(\S+))\s+([\s\S]+)$/i.exec(text);
      const join = /^\/join\s+(\S+)$/i.exec(text);
      if (dm) {
        const to = dm[1] || dm[2];
        sendFrame('send_direct', { to, message: dm[3] }, nextRef());
      } else if (join) {
        if (!changeRoom(join[1])) { notice(el.roomError.textContent, 'error'); return; }
      } else if (/^\/help\b/i.test(text)) {
        notice(HELP, 'info');
      } else {
        notice(`Unknown command. ${HELP}`, 'error');
        return;
      }
    } else {
      sendChat(text.startsWith('//') ? text.slice(1) : text);
    }
    el.message.value = '';
    el.message.focus();
  }

  // ---- recent rooms ----
  function recentRooms() {
    try {
      const list = JSON.parse(store.get('localStorage', KEY_RECENT) || '[]');
      return Array.isArray(list) ? list.filter((r) => typeof r === 'string' && ROOM_RE.test(r)) : [];
    } catch { return []; }
  }

  function rememberRoom(room) {
    const list = [room, ...recentRooms().filter((r) => r !== room)].slice(0, MAX_RECENT);
    store.set('localStorage', KEY_RECENT, JSON.stringify(list));
    renderRecent();
  }

  function renderRecent() {
    const list = recentRooms();
    if (!list.includes(DEFAULT_ROOM)) list.push(DEFAULT_ROOM);
    const frag = document.createDocumentFragment();
    for (const room of list) {
      const li = make('li');
      const b = make('button', 'chip', `#${room}`);
      b.type = 'button';
      if (room === state.joinedRoom || (!state.joinedRoom && room === state.room)) b.setAttribute('aria-current', 'true');
      b.addEventListener('click', () => changeRoom(room));
      li.append(b);
      frag.append(li);
    }
    el.recent.replaceChildren(frag);
  }

  // ---- status and controls ----
  function render() {
    let st; let text;
    if (!state.wanted) { st = 'idle'; text = 'not signed in'; }
    else if (state.welcomed && isOpen()) { st = 'connected'; text = 'connected'; }
    else if (navigator.onLine === false) { st = 'offline'; text = 'offline: waiting for the network'; }
    else if (state.ws) { st = 'connecting'; text = state.attempt > 0 ? 'reconnecting…' : 'connecting…'; }
    else if (state.retryAt) {
      const s = Math.max(1, Math.ceil((state.retryAt - Date.now()) / 1000));
      st = 'reconnecting'; text = `reconnecting in ${s} s`;
    } else { st = 'reconnecting'; text = 'reconnecting…'; }
    el.status.dataset.state = st;
    if (el.statusText.textContent !== text) el.statusText.textContent = text;

    const ready = st === 'connected';
    el.message.disabled = !ready;
    el.send.disabled = !ready || state.joinedRoom !== state.room;
    el.connect.classList.toggle('primary', !ready);
    el.connect.textContent = ready ? 'Rename' : (st === 'reconnecting' || st === 'connecting') && state.attempt > 0 ? 'Retry now' : 'Join';
    el.currentRoom.textContent = state.joinedRoom || state.room;
    el.message.placeholder = `Message #${state.joinedRoom || state.room}`;
    el.whoami.hidden = !state.me || !state.wanted;
    el.whoami.textContent = state.me ? `signed in as ${state.me}` : '';
    el.node.hidden = !(ready && state.node);
    el.node.textContent = state.node ? `node ${state.node}` : '';
    document.title = `#${state.joinedRoom || state.room} · actor-chat`;
    for (const b of el.recent.querySelectorAll('button')) {
      if (b.textContent === `#${state.joinedRoom || state.room}`) b.setAttribute('aria-current', 'true');
      else b.removeAttribute('aria-current');
    }
    updateEmpty();
  }

  el.nameForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const name = el.name.value.trim();
    const problem = validName(name);
    el.nameError.textContent = problem;
    if (problem) { el.name.setAttribute('aria-invalid', 'true'); el.name.focus(); return; }
    el.name.removeAttribute('aria-invalid');
    store.set('localStorage', KEY_NAME, name);
    const same = name === state.name && (state.welcomed || state.ws);
    state.name = name;
    state.wanted = true;
    if (same && state.welcomed) { el.message.focus(); return; }
    state.attempt = 0;
    state.me = null;
    connect();
    el.message.focus();
  });

  el.roomForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const name = el.room.value.trim().replace(/^#/, '');
    if (changeRoom(name)) el.room.value = '';
  });

  el.composer.addEventListener('submit', onComposerSubmit);

  // ---- start ----
  // /?token=...: log in with it (kept for this tab, taken out of the address bar).
  const params = new URLSearchParams(location.search);
  state.token = params.get('token') || store.get('sessionStorage', KEY_TOKEN) || '';
  if (params.has('token')) {
    store.set('sessionStorage', KEY_TOKEN, state.token);
    params.delete('token');
    const rest = params.toString();
    history.replaceState(null, '', location.pathname + (rest ? `?${rest}` : '') + location.hash);
  }
  const saved = store.get('localStorage', KEY_NAME);
  renderRecent();
  if (state.token) {
    // The token names us: connect at once; the welcome fills in the name.
    state.name = saved && !validName(saved) ? saved : 'guest';
    state.wanted = true;
    connect();
  } else if (saved && !validName(saved)) {
    el.name.value = saved;
    state.name = saved;
    state.wanted = true;
    connect();
  } else {
    render();
    el.name.focus();
  }
})();
