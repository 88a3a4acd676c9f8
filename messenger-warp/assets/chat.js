// Community Messenger chat client: speaks the /ws protocol with the v2 room
// additions (docs/protocol.md) and drives the chat page. One WebSocket for
// every room: switching rooms leaves one and joins the next, and the URL
// (/chat/{room}) follows. Message text is only ever set as textContent.
(function () {
  "use strict";

  const root = document.getElementById("chat");
  if (!root) return;
  const $ = (id) => document.getElementById(id);

  const me = { id: Number(root.dataset.userId), username: root.dataset.username };
  const historyLimit = Number(root.dataset.historyLimit) || 50;
  const list = $("message-list");
  const scroller = $("messages");
  const olderButton = $("load-older");
  const onlineList = $("online-list");
  const onlineCount = $("online-count");
  const typingLine = $("typing");
  const connection = $("connection");
  const errorLine = $("chat-error");
  const composer = $("composer");
  const input = $("message-input");
  // The room sidebar and dialogs exist in the full page; plain templates
  // without them still chat in the room of the page.
  const roomLists = {
    public: $("rooms-public"),
    private: $("rooms-private"),
    direct: $("rooms-direct"),
  };
  const roomTitle = $("room-title");
  const roomTopic = $("room-topic");
  const leaveButton = $("leave-room");
  const membersButton = $("members-button");
  const notifyToggle = $("notify-toggle");

  let room = root.dataset.room;
  let ws = null;
  let attempt = 0;
  let lastTypingSent = 0;
  let joined = false;
  // The view of the current room.
  let lastId = 0;           // newest id shown: the `since` of a reconnect
  let oldestId = 0;         // oldest id shown: the `before` of "load older"
  let hasOlder = false;
  let loadingOlder = false;
  let initialLoad = true;
  const shown = new Map();    // id -> element
  const pending = new Map();  // client_id -> { element, body, room }
  const online = new Map();   // user id -> user
  const typers = new Map();   // user id -> { user, timer }
  // Every room of the user: name -> room info with unread state.
  const rooms = new Map();
  // Requests waiting for their answer: client_id -> handler.
  const requests = new Map();

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

  // A body with its @mentions marked, built from text nodes only.
  function renderBody(el, text) {
    el.replaceChildren();
    const re = /(^|[^A-Za-z0-9_.-])@([A-Za-z0-9_.-]{3,32})/g;
    let at = 0;
    let m;
    while ((m = re.exec(text))) {
      const start = m.index + m[1].length;
      const name = m[2].replace(/\.+$/, "");
      if (start > at) el.append(text.slice(at, start));
      const mark = document.createElement("mark");
      mark.className = "mention" + (name.toLowerCase() === me.username.toLowerCase() ? " mention-me" : "");
      mark.textContent = "@" + name;
      el.append(mark);
      at = start + 1 + name.length;
      re.lastIndex = at;
    }
    if (at < text.length) el.append(text.slice(at));
  }

  // A user's name: a button that opens a direct conversation, where the
  // page has rooms; plain text for oneself or without them.
  function nameElement(user, className) {
    const canDm = roomLists.direct && user.id !== me.id;
    const el = document.createElement(canDm ? "button" : "span");
    el.className = className + (canDm ? " user-link" : "");
    el.textContent = user.username;
    if (canDm) {
      el.type = "button";
      el.title = "Message " + user.username + " directly";
      el.addEventListener("click", () => openDirect(user.username));
    }
    return el;
  }

  function element(message, own, isPending) {
    const li = document.createElement("li");
    li.className = "msg" + (own ? " msg-own" : "") + (isPending ? " msg-pending" : "");
    const meta = document.createElement("div");
    meta.className = "msg-meta";
    const time = document.createElement("time");
    time.className = "msg-time";
        const author = nameElement(message.author, "msg-author");
    // One tab stop per message would bury the composer under the history;
    // by keyboard, people are reached in the online and member lists.
    if (author.tagName === "BUTTON") author.tabIndex = -1;
    meta.append(author, " ", time);
    const body = document.createElement("div");
    body.className = "msg-body";
    renderBody(body, message.body);
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
    const info = rooms.get(room);
    if (info && lastId > info.last_id) info.last_id = lastId;
    markRead();
  }

  // Screen readers hear new messages from others as they arrive, through a
  // live region of their own; the message list itself is not live, so
  // loading history (on join, switching rooms or scrolling back) is not read out.
  const announcer = $("announcer") || (() => {
    const el = document.createElement("div");
    el.id = "announcer";
    el.setAttribute("aria-live", "polite");
    el.style.cssText = "position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap";
    document.body.append(el);
    return el;
  })();

  function announce(text) {
    const p = document.createElement("p");
    p.textContent = text;
    announcer.append(p);
    while (announcer.childElementCount > 5) announcer.firstElementChild.remove();
  }

  function renderOnline() {
    onlineList.replaceChildren();
    const users = Array.from(online.values()).sort((a, b) => a.username.localeCompare(b.username));
    for (const u of users) {
      const li = document.createElement("li");
      li.className = "online-user";
      li.append(nameElement(u, "online-name"));
      if (u.id === me.id) li.append(" (you)");
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

  // A request whose answer (or error) carries its client_id.
  function request(frame, onAnswer, onError) {
    const clientId = newClientId();
    requests.set(clientId, { onAnswer: onAnswer, onError: onError });
    if (!send(Object.assign({ client_id: clientId }, frame))) {
      requests.delete(clientId);
      if (onError) onError("Not connected. Try again in a moment.");
    }
  }

  function sendPending(clientId) {
    const p = pending.get(clientId);
    if (!p) return;
    p.element.classList.remove("msg-failed");
    p.element.classList.add("msg-pending");
    p.element.querySelector(".msg-time").textContent = "sending…";
    p.element.querySelector(".msg-retry")?.remove();
    send({ type: "send", room: p.room, body: p.body, client_id: clientId });
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

  // ---- Rooms: the sidebar, unread state, switching ----

  function displayName(info) {
    return info.kind === "direct" && info.peer ? info.peer.username : info.title;
  }

  function unreadOf(info) {
    return Math.max(0, info.last_id - info.last_read);
  }

  function renderRooms() {
    if (!roomLists.public) return;
    for (const ul of Object.values(roomLists)) ul.replaceChildren();
    const sorted = Array.from(rooms.values()).sort((a, b) =>
      (a.name !== "general") - (b.name !== "general") || displayName(a).localeCompare(displayName(b)));
    for (const info of sorted) {
      const ul = roomLists[info.kind] || roomLists.public;
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.className = "room-link";
      a.href = "/chat/" + info.name;
      a.dataset.room = info.name;
      if (info.name === room) a.setAttribute("aria-current", "page");
      const label = document.createElement("span");
      label.className = "room-label text-truncate";
      label.textContent = (info.kind === "direct" ? "" : "# ") + displayName(info);
      // Badges keep their place when empty, so nothing shifts when they change.
      const badges = document.createElement("span");
      badges.className = "room-badges";
      const unread = info.name === room ? 0 : unreadOf(info);
      const mentions = info.name === room ? 0 : info.mentions;
      const mention = document.createElement("span");
      mention.className = "badge rounded-pill room-mentions" + (mentions ? "" : " is-empty");
      mention.textContent = mentions ? "@" + mentions : "";
      const count = document.createElement("span");
      count.className = "badge rounded-pill room-unread" + (unread ? "" : " is-empty");
      count.textContent = unread ? String(unread) : "";
      badges.append(mention, count);
      const said = [];
      if (unread) said.push(unread + " unread");
      if (mentions) said.push(mentions + (mentions === 1 ? " mention" : " mentions"));
      if (said.length) {
        const sr = document.createElement("span");
        sr.className = "visually-hidden";
        sr.textContent = ", " + said.join(", ");
        label.append(sr);
      }
      a.append(label, badges);
      a.addEventListener("click", (e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        switchRoom(info.name, true);
      });
      li.append(a);
      ul.append(li);
    }
    for (const [kind, ul] of Object.entries(roomLists)) {
      const empty = $("rooms-" + kind + "-empty");
      if (empty) empty.hidden = ul.childElementCount > 0;
    }
    const total = Array.from(rooms.values())
      .filter((r) => r.name !== room)
      .reduce((n, r) => n + (unreadOf(r) > 0 ? 1 : 0), 0);
    const hint = $("unread-rooms");
    if (hint) {
      hint.textContent = total ? String(total) : "";
      hint.classList.toggle("is-empty", !total);
    }
  }

  function upsertRoom(info) {
    const old = rooms.get(info.name);
    // Keep what this page already knows to be newer.
    if (old && old.last_id > info.last_id) info.last_id = old.last_id;
    rooms.set(info.name, info);
    renderRooms();
    if (info.name === room) renderHeader();
  }

  function renderHeader() {
    const info = rooms.get(room);
    if (!info) return;
    const name = displayName(info);
    if (roomTitle) roomTitle.textContent = (info.kind === "direct" ? "@ " : "# ") + name;
    if (roomTopic) { roomTopic.textContent = info.topic || ""; roomTopic.hidden = !info.topic; }
    input.placeholder = "Message " + (info.kind === "direct" ? name : "#" + name);
    scroller.setAttribute("aria-label", "Messages in " + name);
    document.title = name + " · Community Messenger";
    if (leaveButton) leaveButton.hidden = room === "general" || info.kind === "direct";
        if (membersButton) membersButton.hidden = info.kind !== "private";
  }

  // Tells the server how far this room is read, once the newest message
  // is on screen in a visible tab.
  function markRead() {
    const info = rooms.get(room);
    if (!info || !joined || document.visibilityState !== "visible" || !nearBottom()) return;
    if (lastId > info.last_read) {
      info.last_read = lastId;
      info.mentions = 0;
      send({ type: "read", room: room, id: lastId });
      renderRooms();
    }
  }

  function resetView() {
    list.replaceChildren();
    shown.clear();
    for (const [id, p] of pending) if (p.room !== room) pending.delete(id);
    for (const t of typers.values()) clearTimeout(t.timer);
    typers.clear();
    renderTyping();
    online.clear();
    renderOnline();
    lastId = 0;
    oldestId = 0;
    hasOlder = false;
    loadingOlder = false;
    initialLoad = true;
    olderButton.hidden = true;
    showError("");
  }

  function switchRoom(name, push) {
    if (name === room) { closeSidebar(); return; }
    if (joined) send({ type: "leave", room: room });
    joined = false;
    room = name;
    root.dataset.room = name;
    if (push) history.pushState({ room: name }, "", "/chat/" + name);
    resetView();
    renderHeader();
    renderRooms();
    if (send({ type: "join", room: name })) joined = true;
    closeSidebar();
    input.focus();
  }

  function closeSidebar() {
    const sidebar = $("sidebar");
    if (sidebar && window.bootstrap && sidebar.classList.contains("show")) {
      window.bootstrap.Offcanvas.getOrCreateInstance(sidebar).hide();
    }
  }

  function openDirect(username) {
    request({ type: "open_dm", username: username }, (frame) => {
      upsertRoom(frame.room);
      switchRoom(frame.room.name, true);
    }, showError);
  }

  window.addEventListener("popstate", (e) => {
    const name = (e.state && e.state.room) || decodeURIComponent(location.pathname.replace(/^\/chat\/?/, "")) || "general";
    switchRoom(name, false);
  });

  // ---- Notifications (opt-in): mentions and direct messages in a hidden tab ----

  const canNotify = "Notification" in window;
  function notifyOn() {
    return canNotify && Notification.permission === "granted" && localStorage.getItem("cm-notify") === "on";
  }
  function renderNotifyToggle() {
    if (!notifyToggle) return;
    notifyToggle.hidden = !canNotify;
    notifyToggle.setAttribute("aria-pressed", String(notifyOn()));
    notifyToggle.textContent = notifyOn() ? "Notifications on" : "Notify me";
  }
  if (notifyToggle) {
    notifyToggle.addEventListener("click", async () => {
      if (notifyOn()) {
        localStorage.setItem("cm-notify", "off");
      } else {
        const answer = await Notification.requestPermission();
        localStorage.setItem("cm-notify", answer === "granted" ? "on" : "off");
      }
      renderNotifyToggle();
    });
    renderNotifyToggle();
  }
  function notify(title, body, name) {
    if (!notifyOn() || document.visibilityState === "visible") return;
    const n = new Notification(title, { body: body, tag: "cm-" + name });
    n.addEventListener("click", () => { window.focus(); switchRoom(name, true); n.close(); });
  }

  // ---- The protocol ----

  function handle(frame) {
    if (frame.client_id && requests.has(frame.client_id)) {
      const r = requests.get(frame.client_id);
      requests.delete(frame.client_id);
      if (frame.type === "error") { if (r.onError) r.onError(frame.message); }
      else if (r.onAnswer) r.onAnswer(frame);
      if (frame.type === "error") return;
    }
    switch (frame.type) {
      case "ready":
        attempt = 0;
        setConnection("online", "Connected");
                for (const info of frame.room_info || []) upsertRoom(info);
        // Opening a public room one is not in (a link, the address bar)
        // joins it, so it stays in the list.
        if (frame.room_info && !rooms.has(room)) {
          request({ type: "enter", room: room }, (answer) => upsertRoom(answer.room), () => {});
        }
        renderHeader();
        joined = send(lastId ? { type: "join", room: room, since: lastId } : { type: "join", room: room });
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
        if (frame.room !== room) break;
        online.clear();
        for (const u of frame.online) online.set(u.id, u);
        renderOnline();
        // Re-send what was typed while offline (same client_id: no duplicates).
        for (const clientId of pending.keys()) sendPending(clientId);
        break;
      case "presence_diff":
        if (frame.room !== room) break;
        for (const u of frame.joined) online.set(u.id, u);
        for (const u of frame.left) { online.delete(u.id); stopTyping(u.id); }
        renderOnline();
        break;
      case "message":
        if (frame.message.room !== room) break;
        stopTyping(frame.message.author.id);
        if (!shown.has(frame.message.id) && frame.message.author.id !== me.id) {
          announce(frame.message.author.username + ": " + frame.message.body);
        }
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
      case "room":
        upsertRoom(frame.room);
        break;
      case "room_removed":
        rooms.delete(frame.room);
        renderRooms();
        if (frame.room === room) { joined = false; switchRoom("general", true); }
        break;
      case "activity": {
        const info = rooms.get(frame.room);
        if (!info || frame.last_id <= info.last_id) break;
        info.last_id = frame.last_id;
        renderRooms();
        if (info.kind === "direct" && info.peer) {
          notify("New message from " + info.peer.username, "", info.name);
        }
        break;
      }
      case "mention": {
        const info = rooms.get(frame.room);
        if (info && frame.message.id > info.last_read && frame.room !== room) {
          info.mentions += 1;
          if (frame.message.id > info.last_id) info.last_id = frame.message.id;
          renderRooms();
        }
        if (info) announce(frame.message.author.username + " mentioned you in " + displayName(info));
        notify(frame.message.author.username + " mentioned you", frame.message.body, frame.room);
        break;
      }
      case "read": {
        const info = rooms.get(frame.room);
        if (!info) break;
        info.last_read = Math.max(info.last_read, frame.last_read);
        info.mentions = frame.mentions;
        renderRooms();
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
    ws = new WebSocket(scheme + window.location.host + "/ws?v=2");
    ws.addEventListener("message", (e) => {
      let frame;
      try { frame = JSON.parse(e.data); } catch (_) { return; }
      handle(frame);
    });
    ws.addEventListener("close", (e) => {
      ws = null;
      joined = false;
      online.clear();
      renderOnline();
      for (const [id, r] of requests) { requests.delete(id); if (r.onError) r.onError("Connection lost. Try again."); }
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
    pending.set(clientId, { element: li, body: body, room: room });
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
  scroller.addEventListener("scroll", () => {
    if (scroller.scrollTop < 40) loadOlder();
    markRead();
  });
  document.addEventListener("visibilitychange", markRead);
  window.addEventListener("online", () => { if (!ws) { attempt = 0; connect(); } });

  // ---- Dialogs: new room, browse rooms, members ----

  function modal(id) {
    const el = $(id);
    return el && window.bootstrap ? window.bootstrap.Modal.getOrCreateInstance(el) : null;
  }

  function dialogError(id, text) {
    const el = $(id);
    if (!el) return;
    el.textContent = text || "";
    el.hidden = !text;
  }

  const newRoomForm = $("new-room-form");
  if (newRoomForm) {
    newRoomForm.addEventListener("submit", (e) => {
      e.preventDefault();
      dialogError("new-room-error", "");
      const form = new FormData(newRoomForm);
      request({
        type: "create_room",
        name: String(form.get("name") || "").trim(),
        title: String(form.get("title") || "").trim(),
        topic: String(form.get("topic") || ""),
        private: form.get("private") === "on",
      }, (frame) => {
        upsertRoom(frame.room);
        newRoomForm.reset();
        modal("new-room-dialog")?.hide();
        switchRoom(frame.room.name, true);
      }, (text) => dialogError("new-room-error", text));
    });
    // A name from the title: lower case, dashes, the room grammar.
    const title = $("new-room-title");
    const name = $("new-room-name");
    title.addEventListener("input", () => {
      if (name.dataset.edited) return;
      name.value = title.value.toLowerCase().normalize("NFKD").replace(/[^a-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 64);
    });
    name.addEventListener("input", () => { name.dataset.edited = "1"; });
  }

  const browseDialog = $("browse-dialog");
  if (browseDialog) {
    browseDialog.addEventListener("show.bs.modal", () => {
      const ul = $("directory-list");
      ul.replaceChildren();
      dialogError("browse-error", "");
      ul.setAttribute("aria-busy", "true");
      request({ type: "browse" }, (frame) => {
        ul.removeAttribute("aria-busy");
        for (const entry of frame.rooms) {
          const li = document.createElement("li");
          li.className = "list-group-item d-flex gap-3 align-items-start";
          const text = document.createElement("div");
          text.className = "flex-grow-1 min-w-0";
          const h = document.createElement("div");
          h.className = "fw-semibold";
          h.textContent = "# " + entry.title;
          const topic = document.createElement("div");
          topic.className = "small text-body-secondary text-break";
          topic.textContent = entry.topic;
          const facts = document.createElement("div");
          facts.className = "small text-body-secondary";
          facts.textContent = entry.member_count + (entry.member_count === 1 ? " member" : " members") +
            (entry.last_activity ? " · active " + new Date(entry.last_activity).toLocaleString() : " · no messages yet");
          text.append(h, topic, facts);
          const button = document.createElement("button");
          button.type = "button";
          button.className = "btn btn-sm btn-outline-primary text-nowrap";
          const member = rooms.has(entry.name);
          button.textContent = member ? "Open" : "Join";
          button.setAttribute("aria-label", (member ? "Open " : "Join ") + entry.title);
          button.addEventListener("click", () => {
            const go = () => { modal("browse-dialog")?.hide(); switchRoom(entry.name, true); };
            if (member) { go(); return; }
            request({ type: "enter", room: entry.name }, (answer) => { upsertRoom(answer.room); go(); },
              (text) => dialogError("browse-error", text));
          });
          li.append(text, button);
          ul.append(li);
        }
      }, (text) => { ul.removeAttribute("aria-busy"); dialogError("browse-error", text); });
    });
  }

  const membersDialog = $("members-dialog");
  function renderMembers(members) {
    const ul = $("members-list");
    ul.replaceChildren();
    for (const u of members) {
      const li = document.createElement("li");
      li.className = "list-group-item";
      li.append(nameElement(u, "member-name"));
      if (u.id === me.id) li.append(" (you)");
      ul.append(li);
    }
  }
  if (membersDialog) {
    membersDialog.addEventListener("show.bs.modal", () => {
      dialogError("members-error", "");
      request({ type: "members", room: room }, (frame) => renderMembers(frame.members),
        (text) => dialogError("members-error", text));
    });
    $("add-member-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const field = $("add-member-name");
      dialogError("members-error", "");
      request({ type: "add_member", room: room, username: field.value.trim() }, (frame) => {
        renderMembers(frame.members);
        field.value = "";
      }, (text) => dialogError("members-error", text));
    });
    // A name in the dialog opens a DM: close the dialog first.
    membersDialog.addEventListener("click", (e) => {
      if (e.target.closest(".user-link")) modal("members-dialog")?.hide();
    });
  }

  if (leaveButton) {
    leaveButton.addEventListener("click", () => {
      const info = rooms.get(room);
      if (!info || !window.confirm("Leave " + displayName(info) + "?")) return;
      request({ type: "exit", room: room }, () => {}, showError);
    });
  }

  history.replaceState({ room: room }, "", location.pathname);
  connect();
})();
