// Community Messenger chat client: speaks the /ws protocol with the v2 room
// additions (docs/protocol.md) and drives the chat page. One WebSocket for
// every room: switching rooms leaves one and joins the next, and the URL
// (/chat/{room}) follows. Message text is only ever set as textContent:
// links and marks are elements built around text nodes, never parsed HTML.
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
  const manageButton = $("manage-button");
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
  let roomRev = null;       // the room's change number seen (from `synced`)
  let windowed = false;     // showing a page around a message, not the newest
  let pendingAround = 0;    // a message to open once the room has joined
  let ended = false;        // the server ended this session for good (a ban)
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

    // A body with its URLs linked and its @mentions marked (and linked to a
  // direct conversation), built from text nodes only.
  const TOKEN = /(https?:\/\/[^\s<>"']+)|(^|[^A-Za-z0-9_.-])@([A-Za-z0-9_.-]{3,32})/g;
  function renderBody(el, text) {
    el.replaceChildren();
    TOKEN.lastIndex = 0;
    let at = 0;
    let m;
    while ((m = TOKEN.exec(text))) {
      if (m[1]) {
        // Trailing punctuation ends a sentence, not the address.
        const url = m[1].replace(/[.,;:!?)\]}'"]+$/, "");
        if (m.index > at) el.append(text.slice(at, m.index));
        const a = document.createElement("a");
        a.href = url;
        a.textContent = url;
        a.rel = "noopener noreferrer nofollow";
        a.target = "_blank";
        a.className = "msg-link";
        el.append(a);
        at = m.index + url.length;
        TOKEN.lastIndex = at;
        continue;
      }
      const start = m.index + m[2].length;
      const name = m[3].replace(/\.+$/, "");
      if (start > at) el.append(text.slice(at, start));
      const mark = document.createElement("mark");
      const mine = name.toLowerCase() === me.username.toLowerCase();
      mark.className = "mention" + (mine ? " mention-me" : "");
      mark.textContent = "@" + name;
      if (mine || !roomLists.direct) {
        el.append(mark);
      } else {
        // A real link (it works without this script too), kept out of the
        // tab order like author names: people are reached in the lists.
        const a = document.createElement("a");
        a.href = "/dm/" + encodeURIComponent(name);
        a.className = "mention-link";
        a.tabIndex = -1;
        a.title = "Message " + name + " directly";
        a.append(mark);
        a.addEventListener("click", (e) => {
          if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
          e.preventDefault();
          openDirect(name);
        });
        el.append(a);
      }
      at = start + 1 + name.length;
      TOKEN.lastIndex = at;
    }
    if (at < text.length) el.append(text.slice(at));
  }

  // Text with the given [start, end) character ranges marked: search hits.
  function renderHighlighted(el, text, ranges) {
    el.replaceChildren();
    const chars = Array.from(text);
    let at = 0;
    for (const [start, end] of ranges) {
      if (start > at) el.append(chars.slice(at, start).join(""));
      const mark = document.createElement("mark");
      mark.className = "search-hit";
      mark.textContent = chars.slice(start, end).join("");
      el.append(mark);
      at = end;
    }
    if (at < chars.length) el.append(chars.slice(at).join(""));
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
    li.append(meta, body);
    li.tabIndex = -1;
    li._message = message;
    renderState(li, message);
    fill(li, message, isPending);
    return li;
  }

  // The body, the "edited" mark or the tombstone, and the actions menu.
  function renderState(li, message) {
    li._message = message;
    const body = li.querySelector(".msg-body");
    const meta = li.querySelector(".msg-meta");
    meta.querySelector(".msg-edited")?.remove();
    li.classList.toggle("msg-deleted", Boolean(message.deleted_at));
    if (message.deleted_at) {
      body.textContent = "This message was deleted.";
    } else {
      renderBody(body, message.body);
      if (message.edited_at) {
        const mark = document.createElement("span");
        mark.className = "msg-edited";
                mark.textContent = "(edited " + formatTime(message.edited_at) + ")";
        mark.title = "Edited " + new Date(message.edited_at).toLocaleString();
        meta.append(" ", mark);
      }
    }
    renderActions(li);
  }

  function isModerator() {
    return me.role === "moderator" || me.role === "admin";
  }

  // A message's menu: edit and delete for its author, delete and moderate
  // for moderators. Out of the tab order (one stop per message would bury
  // the composer); keyboard users reach it with the arrow keys in the log.
  function renderActions(li) {
    li.querySelector(".msg-actions")?.remove();
    const m = li._message;
    if (!m || !m.id || m.deleted_at || !window.bootstrap) return;
    const own = m.author.id === me.id;
    if (!own && !isModerator()) return;
    const wrap = document.createElement("div");
    wrap.className = "dropdown msg-actions";
    const toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "btn btn-sm msg-actions-toggle";
    toggle.tabIndex = -1;
    toggle.setAttribute("data-bs-toggle", "dropdown");
    toggle.setAttribute("aria-expanded", "false");
    toggle.setAttribute("aria-label", "Actions for the message from " + m.author.username);
    toggle.textContent = "⋯";
    const menu = document.createElement("ul");
    menu.className = "dropdown-menu dropdown-menu-end";
    const item = (text, action) => {
      const li2 = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.className = "dropdown-item";
      b.textContent = text;
      b.addEventListener("click", action);
      li2.append(b);
      menu.append(li2);
    };
    if (own) item("Edit", () => startEdit(li));
    item(own ? "Delete" : "Delete message", () => confirmDelete(li));
    if (!own && isModerator()) item("Moderate " + m.author.username + "…", () => openModerate(m.author.username));
    wrap.append(toggle, menu);
    li.querySelector(".msg-meta").append(wrap);
  }

  function openMenu(li) {
    const toggle = li.querySelector(".msg-actions-toggle");
    if (toggle && window.bootstrap) window.bootstrap.Dropdown.getOrCreateInstance(toggle).show();
  }

  // ---- Editing and deleting ----

  function startEdit(li) {
    const m = li._message;
    if (!m || m.deleted_at || li.querySelector(".msg-edit")) return;
    const body = li.querySelector(".msg-body");
    body.hidden = true;
    const form = document.createElement("form");
    form.className = "msg-edit";
    const label = document.createElement("label");
    label.className = "visually-hidden";
    label.textContent = "Edit message";
    const area = document.createElement("textarea");
    area.className = "form-control form-control-sm";
    area.id = "edit-" + m.id;
    label.htmlFor = area.id;
    area.value = m.body;
    area.rows = Math.min(6, m.body.split("\n").length + 1);
    area.maxLength = Number(root.dataset.bodyLimit) || 4000;
    const actions = document.createElement("div");
    actions.className = "d-flex gap-2 mt-1";
    const save = document.createElement("button");
    save.type = "submit";
    save.className = "btn btn-sm btn-primary";
    save.textContent = "Save";
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "btn btn-sm btn-outline-secondary";
    cancel.textContent = "Cancel";
    const hint = document.createElement("span");
    hint.className = "small msg-edit-hint align-self-center";
    hint.textContent = "Enter saves, Escape cancels";
    actions.append(save, cancel, hint);
    form.append(label, area, actions);
    body.after(form);
    const done = () => { form.remove(); body.hidden = false; input.focus(); };
    cancel.addEventListener("click", done);
    area.addEventListener("keydown", (e) => {
      if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); done(); }
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
    });
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const text = area.value.trim();
      if (!text) { confirmDelete(li); return; }
      if (text === m.body) { done(); return; }
      request({ type: "edit", room: m.room, id: m.id, body: text }, (frame) => {
        applyChange(frame.message);
        done();
      }, (err) => showError(err));
    });
    area.focus();
    area.setSelectionRange(area.value.length, area.value.length);
  }

  function confirmDelete(li) {
    const m = li._message;
    const dialog = $("delete-dialog");
    if (!dialog || !window.bootstrap) return;
    const others = m.author.id !== me.id;
    $("delete-reason-group").hidden = !others;
    $("delete-reason").value = "";
    $("delete-what").textContent = others
      ? "Delete this message from " + m.author.username + "? Everyone will see that it was deleted."
      : "Delete your message? Everyone will see that it was deleted.";
    dialogError("delete-error", "");
    dialog._target = li;
    modal("delete-dialog").show();
  }

  // An edit or delete (live, or one missed while away): update what is shown.
  function applyChange(message) {
    if (message.room === room && message.rev && (roomRev === null || message.rev > roomRev)) {
      roomRev = message.rev;
    }
    const li = shown.get(message.id);
    if (!li || message.room !== room) return;
    const old = li._message;
    if (old && old.rev && message.rev && message.rev < old.rev) return;
    li.querySelector(".msg-edit")?.remove();
    li.querySelector(".msg-body").hidden = false;
    renderState(li, message);
  }

  // The newest message of mine that can still be edited: the Up arrow's.
  function lastOwnMessage() {
    const items = list.querySelectorAll(".msg-own:not(.msg-deleted):not(.msg-pending):not(.msg-failed)");
    return items.length ? items[items.length - 1] : null;
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
      renderState(li, message);
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
      if (u.id !== me.id && isModerator() && $("moderate-dialog")) {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "btn btn-link btn-sm p-0 ms-2 moderate-user";
        b.textContent = "Moderate";
        b.setAttribute("aria-label", "Moderate " + u.username);
        b.addEventListener("click", () => openModerate(u.username));
        li.append(b);
      }
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
    // The lists are rebuilt on every change (a message in another room, a
    // read elsewhere): keep a keyboard user's place in them.
    const active = document.activeElement;
    const focused = active && active.classList.contains("room-link") ? active.dataset.room : null;
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
    if (focused) {
      const again = Array.from(document.querySelectorAll(".room-link")).find((a) => a.dataset.room === focused);
      if (again) again.focus({ preventScroll: true });
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
    if (manageButton) manageButton.hidden = !canManage(info);
    // An archived room is read-only: say so where one would write.
    const archived = Boolean(info.archived_at);
    input.disabled = archived;
    const sendButton = composer.querySelector("button[type=submit]");
    if (sendButton) sendButton.disabled = archived;
    if (archived) input.placeholder = "This room is archived: it is read-only";
  }

  // The room's owner and moderators manage it (the server checks again).
  function canManage(info) {
    return Boolean(info) && info.kind !== "direct" && (info.created_by === me.id || isModerator());
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
    roomRev = null;
    setWindowed(false);
    olderButton.hidden = true;
    showError("");
  }

  // ---- A page around one message (a search result) ----

  const jumpButton = $("jump-latest");
  function setWindowed(on) {
    windowed = on;
    if (jumpButton) jumpButton.hidden = !on;
  }

  function clearMessages() {
    list.replaceChildren();
    shown.clear();
    lastId = 0;
    oldestId = 0;
  }

  function openAround(name, id) {
    pendingAround = id;
    if (name !== room) { switchRoom(name, true); return; }
    if (joined) requestAround();
  }

  function requestAround() {
    const id = pendingAround;
    pendingAround = 0;
    if (id) send({ type: "history", room: room, around: id, limit: historyLimit });
  }

  function showAround(frame) {
    clearMessages();
    for (const m of frame.messages) place(m);
    hasOlder = frame.has_more;
    olderButton.hidden = !hasOlder;
    initialLoad = false;
    setWindowed(Boolean(frame.has_newer));
    const target = shown.get(frame.around);
    if (target) {
      list.querySelectorAll(".msg-target").forEach((el) => el.classList.remove("msg-target"));
      target.classList.add("msg-target");
      target.scrollIntoView({ block: "center" });
      target.focus({ preventScroll: true });
    }
  }

  function jumpToLatest() {
    clearMessages();
    setWindowed(false);
    initialLoad = true;
    send({ type: "join", room: room });
    input.focus();
  }
  if (jumpButton) jumpButton.addEventListener("click", jumpToLatest);

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
                if (frame.role && frame.role !== me.role) {
          me.role = frame.role;
          shown.forEach((li) => renderActions(li));
          renderOnline();
        }
                for (const info of frame.room_info || []) upsertRoom(info);
        // Opening a public room one is not in (a link, the address bar)
        // joins it, so it stays in the list.
        if (frame.room_info && !rooms.has(room)) {
          request({ type: "enter", room: room }, (answer) => upsertRoom(answer.room), () => {});
        }
        renderHeader();
                if (windowed) { clearMessages(); setWindowed(false); initialLoad = true; }
        {
          // Back after a drop: what was missed, and (with `rev`) the edits
          // and deletes of what is already shown.
          const join = { type: "join", room: room };
          if (lastId) { join.since = lastId; if (roomRev !== null) join.rev = roomRev; }
          joined = send(join);
        }
        break;
      case "synced":
        if (frame.room !== room) break;
        if (roomRev === null || frame.rev > roomRev) roomRev = frame.rev;
        if (pendingAround) requestAround();
        break;
      case "changed":
        applyChange(frame.message);
        break;
            case "history":
        if (frame.room !== room) break;
        if (frame.around) { showAround(frame); break; }
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
        // Looking at an older page: the newest are one button away.
        if (windowed && !pending.has(frame.message.client_id)) break;
        if (windowed) jumpToLatest();
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
        if (frame.code === "forbidden" && /^this account is banned/.test(frame.message)) { endSession(frame.message); return; }
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
            if (ended) return;
      if (e.code === 1008 && e.reason && e.reason !== "logged out") { endSession(e.reason); return; }
      if (e.code === 1008) { window.location.assign("/login"); return; }
      attempt += 1;
      const delay = Math.min(15000, 500 * 2 ** Math.min(attempt - 1, 5)) * (0.75 + Math.random() / 2);
      setConnection("offline", "Offline, retrying in " + Math.ceil(delay / 1000) + " s…");
      setTimeout(connect, delay);
    });
  }

    // The server ended this session for good (a moderator banned the user):
  // say why, stop reconnecting, and offer the way back.
  function endSession(reason) {
    if (ended) return;
    ended = true;
    setConnection("offline", "Disconnected");
    const box = $("session-ended");
    if (box) {
      $("session-ended-reason").textContent = reason;
      box.hidden = false;
      box.focus();
    } else {
      showError(reason);
    }
    input.disabled = true;
    composer.querySelector("button[type=submit]").disabled = true;
    if (ws) ws.close();
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
    // Up in an empty composer edits my last message, as in most chats.
    if (e.key === "ArrowUp" && !input.value && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey) {
      const li = lastOwnMessage();
      if (li) { e.preventDefault(); li.scrollIntoView({ block: "nearest" }); startEdit(li); }
    }
  });

  // In the message log: Up and Down step through messages, Enter (or the
  // context-menu key) opens a message's menu, Escape goes back to the log.
  scroller.addEventListener("keydown", (e) => {
    if (e.target.closest(".dropdown-menu, .msg-edit")) return;
    const current = e.target.closest(".msg");
    const items = Array.from(list.querySelectorAll(".msg"));
    if (!items.length) return;
    let next = null;
    if (e.key === "ArrowUp") next = current ? items[items.indexOf(current) - 1] : items[items.length - 1];
    else if (e.key === "ArrowDown" && current) next = items[items.indexOf(current) + 1];
    else if (current && (e.key === "Enter" || e.key === "ContextMenu" || (e.key === "F10" && e.shiftKey))) {
      e.preventDefault();
      openMenu(current);
      return;
    } else if (current && e.key === "Escape") {
      e.preventDefault();
      scroller.focus();
      return;
    } else return;
    e.preventDefault();
    if (next) { next.focus(); next.scrollIntoView({ block: "nearest" }); }
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
    const manage = canManage(rooms.get(room)) && room !== "general";
    for (const u of members) {
      const li = document.createElement("li");
      li.className = "list-group-item d-flex align-items-center gap-2";
      li.append(nameElement(u, "member-name"));
      if (u.id === me.id) li.append(" (you)");
      else if (manage) {
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "btn btn-sm btn-outline-secondary ms-auto";
        remove.textContent = "Remove";
        remove.setAttribute("aria-label", "Remove " + u.username);
        remove.addEventListener("click", () => {
          if (!window.confirm("Remove " + u.username + " from this room?")) return;
          dialogError("members-error", "");
          request({ type: "remove_member", room: room, username: u.username },
            (frame) => { renderMembers(frame.members); $("add-member-name").focus(); },
            (text) => dialogError("members-error", text));
        });
        li.append(remove);
      }
      ul.append(li);
    }
  }

  // ---- Invite links (private rooms) ----

  function renderInvites(invites) {
    const ul = $("invites-list");
    if (!ul) return;
    ul.replaceChildren();
    const manage = canManage(rooms.get(room));
    for (const inv of invites) {
      const li = document.createElement("li");
      li.className = "list-group-item d-flex align-items-center gap-2 px-0";
      const facts = ["by " + inv.created_by.username];
      facts.push(inv.expires_at ? "until " + new Date(inv.expires_at).toLocaleString() : "never expires");
      facts.push(inv.max_uses ? inv.uses + " of " + inv.max_uses + " uses" : inv.uses + (inv.uses === 1 ? " use" : " uses"));
      const text = document.createElement("span");
      text.textContent = facts.join(" · ");
      li.append(text);
      if (manage || inv.created_by.id === me.id) {
        const revoke = document.createElement("button");
        revoke.type = "button";
        revoke.className = "btn btn-sm btn-outline-danger ms-auto";
        revoke.textContent = "Revoke";
        revoke.setAttribute("aria-label", "Revoke the link made " + facts.join(", "));
        revoke.addEventListener("click", () => {
          dialogError("members-error", "");
          request({ type: "revoke_invite", room: room, id: inv.id }, (frame) => {
            renderInvites(frame.invites);
            $("invite-made").hidden = true;
            $("invite-form").querySelector("button").focus();
          }, (text) => dialogError("members-error", text));
        });
        li.append(revoke);
      }
      ul.append(li);
    }
  }

  function loadInvites() {
    const section = $("invites-section");
    if (!section) return;
    const info = rooms.get(room);
    section.hidden = !info || info.kind !== "private" || Boolean(info.archived_at);
    $("invite-made").hidden = true;
    if (section.hidden) return;
    request({ type: "invites", room: room }, (frame) => renderInvites(frame.invites),
      (text) => dialogError("members-error", text));
  }

  const inviteForm = $("invite-form");
  if (inviteForm) {
    inviteForm.addEventListener("submit", (e) => {
      e.preventDefault();
      const frame = { type: "create_invite", room: room };
      const expiry = $("invite-expiry").value;
      const uses = $("invite-uses").value;
      if (expiry !== "") frame.expires_in = Number(expiry);
      if (uses !== "") frame.max_uses = Number(uses);
      dialogError("members-error", "");
      request(frame, (answer) => {
        loadInvites();
        const link = $("invite-link");
        link.value = location.origin + "/invite/" + answer.code;
        $("invite-made").hidden = false;
        link.focus();
        link.select();
      }, (text) => dialogError("members-error", text));
    });
    $("invite-copy").addEventListener("click", async () => {
      const link = $("invite-link");
      try {
        await navigator.clipboard.writeText(link.value);
        announce("Link copied");
      } catch (_) {
        link.select();
        announce("Press Ctrl+C to copy the selected link");
      }
    });
  }

  // ---- Managing a room: title and topic, archive, delete ----

  const manageDialog = $("manage-dialog");
  function fillManage() {
    const info = rooms.get(room);
    if (!info) return;
    $("details-title").value = info.title;
    $("details-topic").value = info.topic || "";
    const archived = Boolean(info.archived_at);
    $("archive-button").textContent = archived ? "Open this room again" : "Archive this room";
    $("archive-help").textContent = archived
      ? "This room is archived: it keeps its messages but takes no new ones."
      : "An archived room keeps its messages but takes no new ones. It can be opened again.";
    $("delete-room-section").hidden = !isModerator() || room === "general";
    $("delete-room-confirm").value = "";
  }
  if (manageDialog) {
    manageDialog.addEventListener("show.bs.modal", () => {
      dialogError("manage-error", "");
      $("manage-status").textContent = "";
      fillManage();
    });
    $("details-form").addEventListener("submit", (e) => {
      e.preventDefault();
      dialogError("manage-error", "");
      request({ type: "set_room", room: room, title: $("details-title").value, topic: $("details-topic").value },
        (frame) => { upsertRoom(frame.room); $("manage-status").textContent = "Saved."; },
        (text) => dialogError("manage-error", text));
    });
    $("archive-button").addEventListener("click", () => {
      const info = rooms.get(room);
      if (!info) return;
      const archived = !info.archived_at;
      dialogError("manage-error", "");
      request({ type: "archive_room", room: room, archived: archived }, (frame) => {
        upsertRoom(frame.room);
        fillManage();
        $("manage-status").textContent = archived ? "The room is archived." : "The room is open again.";
      }, (text) => dialogError("manage-error", text));
    });
    $("delete-room-form").addEventListener("submit", (e) => {
      e.preventDefault();
      if ($("delete-room-confirm").value.trim() !== room) {
        dialogError("manage-error", "Type the room's name, " + room + ", to confirm.");
        $("delete-room-confirm").focus();
        return;
      }
      dialogError("manage-error", "");
      request({ type: "delete_room", room: room }, () => modal("manage-dialog")?.hide(),
        (text) => dialogError("manage-error", text));
    });
  }
  if (membersDialog) {
    membersDialog.addEventListener("show.bs.modal", () => {
      dialogError("members-error", "");
      request({ type: "members", room: room }, (frame) => renderMembers(frame.members),
        (text) => dialogError("members-error", text));
      loadInvites();
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

    // ---- Deleting, moderating, searching ----

  const deleteForm = $("delete-form");
  if (deleteForm) {
    deleteForm.addEventListener("submit", (e) => {
      e.preventDefault();
      const li = $("delete-dialog")._target;
      const m = li && li._message;
      if (!m) return;
      dialogError("delete-error", "");
      request({ type: "delete", room: m.room, id: m.id, reason: $("delete-reason").value.trim() }, (frame) => {
        applyChange(frame.message);
        modal("delete-dialog")?.hide();
      }, (text) => dialogError("delete-error", text));
    });
  }

  // Moderation goes through the JSON API (same origin, the session cookie).
  async function api(path, body) {
    const res = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error((data.error && data.error.message) || ("failed (" + res.status + ")"));
    return data;
  }

  function openModerate(username) {
    const dialog = $("moderate-dialog");
    if (!dialog || !window.bootstrap) return;
    dialog.dataset.username = username;
    $("moderate-heading").textContent = "Moderate " + username;
    $("moderate-reason").value = "";
    $("moderate-status").textContent = "";
    dialogError("moderate-error", "");
    $("moderate-role-group").hidden = me.role !== "admin";
    modal("moderate-dialog").show();
  }

  const moderateDialog = $("moderate-dialog");
  if (moderateDialog) {
    moderateDialog.addEventListener("click", async (e) => {
      const button = e.target.closest("[data-action]");
      if (!button) return;
      const action = button.dataset.action;
      const name = moderateDialog.dataset.username;
      const body = { reason: $("moderate-reason").value.trim() };
      if (action === "mute") body.minutes = Number($("moderate-minutes").value);
      if (action === "role") body.role = $("moderate-role").value;
      dialogError("moderate-error", "");
      $("moderate-status").textContent = "";
      button.disabled = true;
      try {
        const r = await api("/api/moderation/users/" + encodeURIComponent(name) + "/" + action, body);
        const s = r.standing;
        const facts = ["role: " + s.role];
        if (s.ban) facts.push("banned");
        if (s.muted_until && new Date(s.muted_until) > new Date()) facts.push("muted until " + new Date(s.muted_until).toLocaleString());
        $("moderate-status").textContent = "Done. " + name + " — " + facts.join(", ") + ".";
      } catch (err) {
        dialogError("moderate-error", err.message);
      } finally {
        button.disabled = false;
      }
    });
  }

  const searchForm = $("search-form");
  let searchNext = null;
  function runSearch(more) {
    const q = $("search-input").value.trim();
    const ul = $("search-results");
    if (!q) return;
    if (!more) { ul.replaceChildren(); searchNext = null; }
    dialogError("search-error", "");
    const frame = { type: "search", q: q, limit: 20 };
    if (more && searchNext) frame.before = searchNext;
    ul.setAttribute("aria-busy", "true");
    request(frame, (answer) => {
      ul.removeAttribute("aria-busy");
      searchNext = answer.next;
      $("search-more").hidden = !answer.next;
      if (!more) $("search-count").textContent = answer.hits.length
        ? (answer.next ? "Newest results first." : answer.hits.length + (answer.hits.length === 1 ? " result." : " results."))
        : "Nothing found.";
      for (const hit of answer.hits) {
        const m = hit.message;
        const info = rooms.get(m.room);
        const li = document.createElement("li");
        li.className = "list-group-item p-0";
        const b = document.createElement("button");
        b.type = "button";
        b.className = "search-hit-open list-group-item-action w-100 text-start border-0 p-2 bg-transparent";
        const head = document.createElement("div");
        head.className = "small text-body-secondary";
        head.textContent = m.author.username + " in " + (info ? (info.kind === "direct" ? "" : "#") + displayName(info) : "#" + m.room) +
          " · " + new Date(m.sent_at).toLocaleString();
        const text = document.createElement("div");
        text.className = "text-break search-hit-body";
        renderHighlighted(text, m.body, hit.highlights);
        b.append(head, text);
        b.addEventListener("click", () => {
          modal("search-dialog")?.hide();
          openAround(m.room, m.id);
        });
        li.append(b);
        ul.append(li);
      }
    }, (text) => { ul.removeAttribute("aria-busy"); dialogError("search-error", text); });
  }
  if (searchForm) {
    searchForm.addEventListener("submit", (e) => { e.preventDefault(); runSearch(false); });
    $("search-more").addEventListener("click", () => runSearch(true));
  }

  history.replaceState({ room: room }, "", location.pathname);
  connect();
})();
