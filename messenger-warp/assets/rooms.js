// Rooms: the sidebar with unread state, the room's header, switching rooms
// (the URL, /chat/{room}, follows), read positions, direct conversations.

import { dom, isModerator, me, rooms, shown, state } from "./state.js";
import { $, nearBottom, showError } from "./ui.js";
import { renderActions, resetView, swapDraft } from "./messages.js";
import { renderPins } from "./dialogs.js";

export function displayName(info) {
  return info.kind === "direct" && info.peer ? info.peer.username : info.title;
}

function unreadOf(info) {
  return Math.max(0, info.last_id - info.last_read);
}

export function renderRooms() {
  const roomLists = dom.roomLists;
  if (!roomLists.public) return;
  // The lists are rebuilt on every change (a message in another room, a
  // read elsewhere): keep a keyboard user's place in them.
  const active = document.activeElement;
  const focused = active && active.classList.contains("room-link") ? active.dataset.room : null;
  for (const ul of Object.values(roomLists)) ul.replaceChildren();
  const sorted = Array.from(rooms.values()).sort(
    (a, b) =>
      (a.name !== "general") - (b.name !== "general") ||
      displayName(a).localeCompare(displayName(b))
  );
  for (const info of sorted) {
    const ul = roomLists[info.kind] || roomLists.public;
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.className = "room-link";
    a.href = "/chat/" + info.name;
    a.dataset.room = info.name;
    if (info.name === state.room) a.setAttribute("aria-current", "page");
    const label = document.createElement("span");
    label.className = "room-label text-truncate";
    label.textContent = (info.kind === "direct" ? "" : "# ") + displayName(info);
    // Badges keep their place when empty, so nothing shifts when they change.
    const badges = document.createElement("span");
    badges.className = "room-badges";
    const unread = info.name === state.room ? 0 : unreadOf(info);
    const mentions = info.name === state.room ? 0 : info.mentions;
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
    .filter((r) => r.name !== state.room)
    .reduce((n, r) => n + (unreadOf(r) > 0 ? 1 : 0), 0);
  const hint = $("unread-rooms");
  if (hint) {
    hint.textContent = total ? String(total) : "";
    hint.classList.toggle("is-empty", !total);
  }
  if (focused) {
    const again = Array.from(document.querySelectorAll(".room-link")).find(
      (a) => a.dataset.room === focused
    );
    if (again) again.focus({ preventScroll: true });
  }
}

export function upsertRoom(info) {
  const old = rooms.get(info.name);
  // Keep what this page already knows to be newer.
  if (old && old.last_id > info.last_id) info.last_id = old.last_id;
  rooms.set(info.name, info);
  renderRooms();
  if (info.name === state.room) {
    renderHeader();
    // Who may pin follows the room (archived or opened again): the menus
    // and the pinned list say so.
    shown.forEach((li) => renderActions(li));
    renderPins();
  }
}

export function renderHeader() {
  const info = rooms.get(state.room);
  if (!info) return;
  const { roomTitle, roomTopic, input, scroller, leaveButton, membersButton, manageButton } = dom;
  const name = displayName(info);
  if (roomTitle) roomTitle.textContent = (info.kind === "direct" ? "@ " : "# ") + name;
  if (roomTopic) {
    roomTopic.textContent = info.topic || "";
    roomTopic.hidden = !info.topic;
  }
  input.placeholder = "Message " + (info.kind === "direct" ? name : "#" + name);
  scroller.setAttribute("aria-label", "Messages in " + name);
  document.title = name + " · Community Messenger";
  if (leaveButton) leaveButton.hidden = state.room === "general" || info.kind === "direct";
  if (membersButton) membersButton.hidden = info.kind !== "private";
  if (manageButton) manageButton.hidden = !canManage(info);
  // An archived room is read-only: say so where one would write.
  const archived = Boolean(info.archived_at);
  input.disabled = archived;
  const sendButton = dom.composer.querySelector("button[type=submit]");
  if (sendButton) sendButton.disabled = archived;
  if (archived) input.placeholder = "This room is archived: it is read-only";
}

// The room's owner and moderators manage it (the server checks again).
export function canManage(info) {
  return Boolean(info) && info.kind !== "direct" && (info.created_by === me.id || isModerator());
}

// Who may pin and unpin in a room: its owner and moderators, either person
// in a direct conversation; nobody while it is archived (the server checks
// again, and refuses a muted user).
export function canPin(info) {
  return (
    Boolean(info) &&
    !info.archived_at &&
    (info.kind === "direct" || info.created_by === me.id || isModerator())
  );
}

// Tells the server how far this room is read, once the newest message
// is on screen in a visible tab.
export function markRead() {
  const info = rooms.get(state.room);
  if (!info || !state.joined || document.visibilityState !== "visible" || !nearBottom()) return;
  if (state.lastId > info.last_read) {
    info.last_read = state.lastId;
    info.mentions = 0;
    state.client.send({ type: "read", room: state.room, id: state.lastId });
    renderRooms();
  }
}

export function switchRoom(name, push) {
  if (name === state.room) {
    closeSidebar();
    return;
  }
  if (state.joined) state.client.send({ type: "leave", room: state.room });
  state.joined = false;
  swapDraft(state.room, name);
  state.room = name;
  dom.root.dataset.room = name;
  if (push) history.pushState({ room: name }, "", "/chat/" + name);
  resetView();
  renderHeader();
  renderRooms();
  if (state.client.join(name)) {
    state.joined = true;
    state.syncing = true;
  }
  closeSidebar();
  dom.input.focus();
}

function closeSidebar() {
  const sidebar = $("sidebar");
  if (sidebar && window.bootstrap && sidebar.classList.contains("show")) {
    window.bootstrap.Offcanvas.getOrCreateInstance(sidebar).hide();
  }
}

export function openDirect(username) {
  state.client.request(
    { type: "open_dm", username: username },
    (frame) => {
      upsertRoom(frame.room);
      switchRoom(frame.room.name, true);
    },
    showError
  );
}

// Back and forward move between rooms.
export function initRooms() {
  window.addEventListener("popstate", (e) => {
    const name =
      (e.state && e.state.room) ||
      decodeURIComponent(location.pathname.replace(/^\/chat\/?/, "")) ||
      "general";
    switchRoom(name, false);
  });
}
