// Community Messenger chat client: speaks the /ws protocol (docs/protocol.md)
// and drives the chat page. Message text is only ever set as textContent.
(function () {
  "use strict";

  const root = document.getElementById("chat");
  if (!root) return;

  const room = root.dataset.room;
  const me = { id: Number(root.dataset.userId), username: root.dataset.username };
  const historyLimit = Number(root.dataset.historyLimit) || 50;
  const list = document.getElementById("message-list");
  const scroller = document.getElementById("messages");
  const olderButton = document.getElementById("load-older");
  const onlineList = document.getElementById("online-list");
  const onlineCount = document.getElementById("online-count");
  const typingLine = document.getElementById("typing");
  const connection = document.getElementById("connection");
  const errorLine = document.getElementById("chat-error");
  const composer = document.getElementById("composer");
  const input = document.getElementById("message-input");

  let ws = null;
  let lastId = 0;           // newest id shown: the `since` of a reconnect
  let oldestId = 0;         // oldest id shown: the `before` of "load older"
  let hasOlder = false;
  let loadingOlder = false;
  let initialLoad = true;
  let attempt = 0;
  let lastTypingSent = 0;
  const shown = new Map();    // id -> element
  const pending = new Map();  // client_id -> { element, body }
  const online = new Map();   // user id -> user
  const typers = new Map();   // user id -> { user, timer }

  function newClientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function setConnection(state, text) {
    connection.dataset.state = state;
    connection.textContent = text;
    root.dataset.connection = state;
  }

  function showError(text) {
    if (!errorLine) return;
    errorLine.textContent = text;
    errorLine.hidden = !text;
  }

  function nearBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  }

  function scrollToBottom() {
    scroller.scrollTop = scroller.scrollHeight;
  }

  function formatTime(iso) {
    const d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function element(message, own, isPending) {
    const li = document.createElement("li");
    li.className = "msg" + (own ? " msg-own" : "") + (isPending ? " msg-pending" : "");
    const meta = document.createElement("div");
    meta.className = "msg-meta";
    const author = document.createElement("span");
    author.className = "msg-author";
    author.textContent = message.author.username;
    const time = document.createElement("time");
    time.className = "msg-time";
    meta.append(author, " ", time);
    const body = document.createElement("div");
    body.className = "msg-body";
    body.textContent = message.body;
    li.append(meta, body);
    fill(li, message, isPending);
    return li;
  }

  function fill(li, message, isPending) {
    const time = li.querySelector(".msg-time");
    if (isPending) {
      time.textContent = "sending…";
    } else {
      li.dataset.id = message.id;
      time.dateTime = message.sent_at;
      time.title = new Date(message.sent_at).toLocaleString();
      time.textContent = formatTime(message.sent_at);
    }
    li.dataset.clientId = message.client_id;
  }

  // A confirmed message: reconcile a pending one, else place it by id.
  function place(message) {
    if (shown.has(message.id)) return;
    const own = message.author.id === me.id;
    const mine = own && pending.get(message.client_id);
    let li;
    if (mine) {
      li = mine.element;
      pending.delete(message.client_id);
      li.classList.remove("msg-pending", "msg-failed");
      li.querySelector(".msg-retry")?.remove();
      fill(li, message, false);
    } else {
      li = element(message, own, false);
    }
    shown.set(message.id, li);
    if (message.id > lastId) {
      // Newest: after every confirmed message, before the pending ones.
      const firstPending = list.querySelector(".msg-pending, .msg-failed");
      if (firstPending && firstPending !== li) list.insertBefore(li, firstPending);
      else if (!li.isConnected) list.append(li);
      lastId = message.id;
    } else {
      const next = Array.from(shown.entries())
        .filter(([id]) => id > message.id)
        .sort((a, b) => a[0] - b[0])[0];
      list.insertBefore(li, next ? next[1] : list.firstChild);
    }
    if (!oldestId || message.id < oldestId) oldestId = message.id;
  }

  function onMessages(messages) {
    const stick = nearBottom() || initialLoad;
    const height = scroller.scrollHeight;
    const top = scroller.scrollTop;
    let prepended = false;
    for (const m of messages) {
      if (oldestId && m.id < oldestId) prepended = true;
      place(m);
    }
    if (stick && !prepended) scrollToBottom();
    else if (prepended) scroller.scrollTop = top + (scroller.scrollHeight - height);
  }

  // Screen readers hear new messages from others as they arrive, through a
  // live region of their own; the message list itself is not live, so
  // loading history (on join or scrolling back) is not read out.
  const announcer = document.getElementById("announcer") || (() => {
    const el = document.createElement("div");
    el.id = "announcer";
    el.setAttribute("aria-live", "polite");
    el.style.cssText = "position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap";
    document.body.append(el);
    return el;
  })();

  function announce(message) {
    const p = document.createElement("p");
    p.textContent = message.author.username + ": " + message.body;
    announcer.append(p);
    while (announcer.childElementCount > 5) announcer.firstElementChild.remove();
  }

  function renderOnline() {
    onlineList.replaceChildren();
    const users = Array.from(online.values()).sort((a, b) => a.username.localeCompare(b.username));
    for (const u of users) {
      const li = document.createElement("li");
      li.className = "online-user";
      li.textContent = u.username + (u.id === me.id ? " (you)" : "");
      onlineList.append(li);
    }
    onlineCount.textContent = "(" + users.length + ")";
  }

  function renderTyping() {
    const names = Array.from(typers.values(), (t) => t.user.username);
    typingLine.textContent =
      names.length === 0 ? "" :
      names.length === 1 ? names[0] + " is typing…" :
      names.length === 2 ? names[0] + " and " + names[1] + " are typing…" :
      "Several people are typing…";
  }

  function stopTyping(userId) {
    const t = typers.get(userId);
    if (t) { clearTimeout(t.timer); typers.delete(userId); renderTyping(); }
  }

  function send(frame) {
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function sendPending(clientId) {
    const p = pending.get(clientId);
    if (!p) return;
    p.element.classList.remove("msg-failed");
    p.element.classList.add("msg-pending");
    p.element.querySelector(".msg-retry")?.remove();
    fill(p.element, { client_id: clientId }, true);
    send({ type: "send", room: room, body: p.body, client_id: clientId });
  }

  function markFailed(clientId, text) {
    const p = pending.get(clientId);
    if (!p) return;
    p.element.classList.remove("msg-pending");
    p.element.classList.add("msg-failed");
    p.element.querySelector(".msg-time").textContent = "not sent: " + text;
    if (!p.element.querySelector(".msg-retry")) {
      const retry = document.createElement("button");
      retry.type = "button";
      retry.className = "msg-retry btn btn-link btn-sm p-0 ms-2";
      retry.textContent = "Retry";
      retry.addEventListener("click", () => sendPending(clientId));
      p.element.querySelector(".msg-meta").append(retry);
    }
  }

  function handle(frame) {
    switch (frame.type) {
      case "ready":
        attempt = 0;
        setConnection("online", "Connected");
        send(lastId ? { type: "join", room: room, since: lastId } : { type: "join", room: room });
        break;
      case "history":
        if (frame.room !== room) break;
        if (loadingOlder || initialLoad) hasOlder = frame.has_more;
        loadingOlder = false;
        onMessages(frame.messages);
        olderButton.hidden = !hasOlder;
        initialLoad = false;
        break;
      case "presence":
        online.clear();
        for (const u of frame.online) online.set(u.id, u);
        renderOnline();
        // Re-send what was typed while offline (same client_id: no duplicates).
        for (const clientId of pending.keys()) sendPending(clientId);
        break;
      case "presence_diff":
        for (const u of frame.joined) online.set(u.id, u);
        for (const u of frame.left) { online.delete(u.id); stopTyping(u.id); }
        renderOnline();
        break;
      case "message":
        if (frame.message.room !== room) break;
        stopTyping(frame.message.author.id);
        if (!shown.has(frame.message.id) && frame.message.author.id !== me.id) announce(frame.message);
        onMessages([frame.message]);
        break;
      case "typing": {
        if (frame.room !== room || frame.user.id === me.id) break;
        stopTyping(frame.user.id);
        const timer = setTimeout(() => stopTyping(frame.user.id), 3500);
        typers.set(frame.user.id, { user: frame.user, timer: timer });
        renderTyping();
        break;
      }
      case "error":
        if (frame.code === "unauthorized") { window.location.assign("/login"); return; }
        if (frame.client_id && pending.has(frame.client_id)) markFailed(frame.client_id, frame.message);
        else showError(frame.message);
        break;
    }
  }

  function connect() {
    setConnection(attempt ? "reconnecting" : "connecting", attempt ? "Reconnecting…" : "Connecting…");
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + window.location.host + "/ws");
    ws.addEventListener("message", (e) => {
      let frame;
      try { frame = JSON.parse(e.data); } catch (_) { return; }
      handle(frame);
    });
    ws.addEventListener("close", (e) => {
      ws = null;
      online.clear();
      renderOnline();
      if (e.code === 1008) { window.location.assign("/login"); return; }
      attempt += 1;
      const delay = Math.min(15000, 500 * 2 ** Math.min(attempt - 1, 5)) * (0.75 + Math.random() / 2);
      setConnection("offline", "Offline, retrying in " + Math.ceil(delay / 1000) + " s…");
      setTimeout(connect, delay);
    });
  }

  function loadOlder() {
    if (!hasOlder || loadingOlder || !oldestId) return;
    loadingOlder = true;
    if (!send({ type: "history", room: room, before: oldestId, limit: historyLimit })) loadingOlder = false;
  }

  function submit() {
    const body = input.value.trim();
    if (!body) return;
    const clientId = newClientId();
    const li = element({ author: me, body: body, client_id: clientId }, true, true);
    pending.set(clientId, { element: li, body: body });
    list.append(li);
    scrollToBottom();
    input.value = "";
    autoGrow();
    showError("");
    send({ type: "send", room: room, body: body, client_id: clientId });
  }

  function autoGrow() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 160) + "px";
  }

  composer.addEventListener("submit", (e) => { e.preventDefault(); submit(); });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
  });
  input.addEventListener("input", () => {
    autoGrow();
    const now = Date.now();
    if (input.value.trim() && now - lastTypingSent > 2000) {
      lastTypingSent = now;
      send({ type: "typing", room: room });
    }
  });
  olderButton.addEventListener("click", loadOlder);
  scroller.addEventListener("scroll", () => { if (scroller.scrollTop < 40) loadOlder(); });
  window.addEventListener("online", () => { if (!ws) { attempt = 0; connect(); } });

  connect();
})();
