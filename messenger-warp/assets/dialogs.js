// The dialogs of the full page: new room, browse rooms, members and invite
// links, managing a room, leaving it, deleting a message, moderating a
// user, searching, the room's pinned messages. Each is wired only where the
// page has it.

import { dom, isModerator, me, pinChanges, pins, rooms, state } from "./state.js";
import { $, announce, dialogError, modal, showError } from "./ui.js";
import { nameElement } from "./people.js";
import { canManage, canPin, displayName, switchRoom, upsertRoom } from "./rooms.js";
import { applyChange, openAround, renderHighlighted, showMessage } from "./messages.js";

function request(frame, onAnswer, onError) {
  return state.client.request(frame, onAnswer, onError);
}

// ---- Deleting a message ----

export function confirmDelete(li) {
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

function initDeleteDialog() {
  const deleteForm = $("delete-form");
  if (!deleteForm) return;
  deleteForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const li = $("delete-dialog")._target;
    const m = li && li._message;
    if (!m) return;
    dialogError("delete-error", "");
    request(
      { type: "delete", room: m.room, id: m.id, reason: $("delete-reason").value.trim() },
      (frame) => {
        applyChange(frame.message);
        modal("delete-dialog")?.hide();
      },
      (text) => dialogError("delete-error", text)
    );
  });
}

// ---- New room, browse rooms ----

function initNewRoomDialog() {
  const newRoomForm = $("new-room-form");
  if (!newRoomForm) return;
  newRoomForm.addEventListener("submit", (e) => {
    e.preventDefault();
    dialogError("new-room-error", "");
    const form = new FormData(newRoomForm);
    request(
      {
        type: "create_room",
        name: String(form.get("name") || "").trim(),
        title: String(form.get("title") || "").trim(),
        topic: String(form.get("topic") || ""),
        private: form.get("private") === "on",
      },
      (frame) => {
        upsertRoom(frame.room);
        newRoomForm.reset();
        modal("new-room-dialog")?.hide();
        switchRoom(frame.room.name, true);
      },
      (text) => dialogError("new-room-error", text)
    );
  });
  // A name from the title: lower case, dashes, the room grammar.
  const title = $("new-room-title");
  const name = $("new-room-name");
  title.addEventListener("input", () => {
    if (name.dataset.edited) return;
    name.value = title.value
      .toLowerCase()
      .normalize("NFKD")
      .replace(/[^a-z0-9_-]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 64);
  });
  name.addEventListener("input", () => {
    name.dataset.edited = "1";
  });
}

function initBrowseDialog() {
  const browseDialog = $("browse-dialog");
  if (!browseDialog) return;
  browseDialog.addEventListener("show.bs.modal", () => {
    const ul = $("directory-list");
    ul.replaceChildren();
    dialogError("browse-error", "");
    ul.setAttribute("aria-busy", "true");
    request(
      { type: "browse" },
      (frame) => {
        ul.removeAttribute("aria-busy");
        for (const entry of frame.rooms) ul.append(directoryEntry(entry));
      },
      (text) => {
        ul.removeAttribute("aria-busy");
        dialogError("browse-error", text);
      }
    );
  });
}

function directoryEntry(entry) {
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
  facts.textContent =
    entry.member_count +
    (entry.member_count === 1 ? " member" : " members") +
    (entry.last_activity
      ? " · active " + new Date(entry.last_activity).toLocaleString()
      : " · no messages yet");
  text.append(h, topic, facts);
  const button = document.createElement("button");
  button.type = "button";
  button.className = "btn btn-sm btn-outline-primary text-nowrap";
  const member = rooms.has(entry.name);
  button.textContent = member ? "Open" : "Join";
  button.setAttribute("aria-label", (member ? "Open " : "Join ") + entry.title);
  button.addEventListener("click", () => {
    const go = () => {
      modal("browse-dialog")?.hide();
      switchRoom(entry.name, true);
    };
    if (member) {
      go();
      return;
    }
    request(
      { type: "enter", room: entry.name },
      (answer) => {
        upsertRoom(answer.room);
        go();
      },
      (text) => dialogError("browse-error", text)
    );
  });
  li.append(text, button);
  return li;
}

// ---- Members and invite links (private rooms) ----

function renderMembers(members) {
  const ul = $("members-list");
  ul.replaceChildren();
  const manage = canManage(rooms.get(state.room)) && state.room !== "general";
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
        request(
          { type: "remove_member", room: state.room, username: u.username },
          (frame) => {
            renderMembers(frame.members);
            $("add-member-name").focus();
          },
          (text) => dialogError("members-error", text)
        );
      });
      li.append(remove);
    }
    ul.append(li);
  }
}

function renderInvites(invites) {
  const ul = $("invites-list");
  if (!ul) return;
  ul.replaceChildren();
  const manage = canManage(rooms.get(state.room));
  for (const inv of invites) {
    const li = document.createElement("li");
    li.className = "list-group-item d-flex align-items-center gap-2 px-0";
    const facts = ["by " + inv.created_by.username];
    facts.push(
      inv.expires_at ? "until " + new Date(inv.expires_at).toLocaleString() : "never expires"
    );
    facts.push(
      inv.max_uses
        ? inv.uses + " of " + inv.max_uses + " uses"
        : inv.uses + (inv.uses === 1 ? " use" : " uses")
    );
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
        request(
          { type: "revoke_invite", room: state.room, id: inv.id },
          (frame) => {
            renderInvites(frame.invites);
            $("invite-made").hidden = true;
            $("invite-form").querySelector("button").focus();
          },
          (text) => dialogError("members-error", text)
        );
      });
      li.append(revoke);
    }
    ul.append(li);
  }
}

function loadInvites() {
  const section = $("invites-section");
  if (!section) return;
  const info = rooms.get(state.room);
  section.hidden = !info || info.kind !== "private" || Boolean(info.archived_at);
  $("invite-made").hidden = true;
  if (section.hidden) return;
  request(
    { type: "invites", room: state.room },
    (frame) => renderInvites(frame.invites),
    (text) => dialogError("members-error", text)
  );
}

function initInviteForm() {
  const inviteForm = $("invite-form");
  if (!inviteForm) return;
  inviteForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const frame = { type: "create_invite", room: state.room };
    const expiry = $("invite-expiry").value;
    const uses = $("invite-uses").value;
    if (expiry !== "") frame.expires_in = Number(expiry);
    if (uses !== "") frame.max_uses = Number(uses);
    dialogError("members-error", "");
    request(
      frame,
      (answer) => {
        loadInvites();
        const link = $("invite-link");
        link.value = location.origin + "/invite/" + answer.code;
        $("invite-made").hidden = false;
        link.focus();
        link.select();
      },
      (text) => dialogError("members-error", text)
    );
  });
  $("invite-copy").addEventListener("click", async () => {
    const link = $("invite-link");
    try {
      await navigator.clipboard.writeText(link.value);
      announce("Link copied");
    } catch {
      link.select();
      announce("Press Ctrl+C to copy the selected link");
    }
  });
}

function initMembersDialog() {
  const membersDialog = $("members-dialog");
  if (!membersDialog) return;
  membersDialog.addEventListener("show.bs.modal", () => {
    dialogError("members-error", "");
    request(
      { type: "members", room: state.room },
      (frame) => renderMembers(frame.members),
      (text) => dialogError("members-error", text)
    );
    loadInvites();
  });
  $("add-member-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const field = $("add-member-name");
    dialogError("members-error", "");
    request(
      { type: "add_member", room: state.room, username: field.value.trim() },
      (frame) => {
        renderMembers(frame.members);
        field.value = "";
      },
      (text) => dialogError("members-error", text)
    );
  });
  // A name in the dialog opens a DM: close the dialog first.
  membersDialog.addEventListener("click", (e) => {
    if (e.target.closest(".user-link")) modal("members-dialog")?.hide();
  });
}

// ---- Managing a room: title and topic, archive, delete; leaving it ----

function fillManage() {
  const info = rooms.get(state.room);
  if (!info) return;
  $("details-title").value = info.title;
  $("details-topic").value = info.topic || "";
  const archived = Boolean(info.archived_at);
  $("archive-button").textContent = archived ? "Open this room again" : "Archive this room";
  $("archive-help").textContent = archived
    ? "This room is archived: it keeps its messages but takes no new ones."
    : "An archived room keeps its messages but takes no new ones. It can be opened again.";
  $("delete-room-section").hidden = !isModerator() || state.room === "general";
  $("delete-room-confirm").value = "";
}

function initManageDialog() {
  const manageDialog = $("manage-dialog");
  if (!manageDialog) return;
  manageDialog.addEventListener("show.bs.modal", () => {
    dialogError("manage-error", "");
    $("manage-status").textContent = "";
    fillManage();
  });
  $("details-form").addEventListener("submit", (e) => {
    e.preventDefault();
    dialogError("manage-error", "");
    request(
      {
        type: "set_room",
        room: state.room,
        title: $("details-title").value,
        topic: $("details-topic").value,
      },
      (frame) => {
        upsertRoom(frame.room);
        $("manage-status").textContent = "Saved.";
      },
      (text) => dialogError("manage-error", text)
    );
  });
  $("archive-button").addEventListener("click", () => {
    const info = rooms.get(state.room);
    if (!info) return;
    const archived = !info.archived_at;
    dialogError("manage-error", "");
    request(
      { type: "archive_room", room: state.room, archived: archived },
      (frame) => {
        upsertRoom(frame.room);
        fillManage();
        $("manage-status").textContent = archived
          ? "The room is archived."
          : "The room is open again.";
      },
      (text) => dialogError("manage-error", text)
    );
  });
  $("delete-room-form").addEventListener("submit", (e) => {
    e.preventDefault();
    if ($("delete-room-confirm").value.trim() !== state.room) {
      dialogError("manage-error", "Type the room's name, " + state.room + ", to confirm.");
      $("delete-room-confirm").focus();
      return;
    }
    dialogError("manage-error", "");
    request(
      { type: "delete_room", room: state.room },
      () => modal("manage-dialog")?.hide(),
      (text) => dialogError("manage-error", text)
    );
  });
}

function initLeaveButton() {
  const leaveButton = $("leave-room");
  if (!leaveButton) return;
  leaveButton.addEventListener("click", () => {
    const info = rooms.get(state.room);
    if (!info || !window.confirm("Leave " + displayName(info) + "?")) return;
    request({ type: "exit", room: state.room }, () => {}, showError);
  });
}

// ---- Moderating a user ----

// Moderation goes through the JSON API (same origin, the session cookie).
async function api(path, body) {
  const res = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    throw new Error((data.error && data.error.message) || "failed (" + res.status + ")");
  }
  return data;
}

export function openModerate(username) {
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

function initModerateDialog() {
  const moderateDialog = $("moderate-dialog");
  if (!moderateDialog) return;
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
      if (s.muted_until && new Date(s.muted_until) > new Date()) {
        facts.push("muted until " + new Date(s.muted_until).toLocaleString());
      }
      $("moderate-status").textContent = "Done. " + name + " — " + facts.join(", ") + ".";
    } catch (err) {
      dialogError("moderate-error", err.message);
    } finally {
      button.disabled = false;
    }
  });
}

// ---- Searching ----

function runSearch(more) {
  const q = $("search-input").value.trim();
  const ul = $("search-results");
  if (!q) return;
  if (!more) {
    ul.replaceChildren();
    state.searchNext = null;
  }
  dialogError("search-error", "");
  const frame = { type: "search", q: q, limit: 20 };
  if (more && state.searchNext) frame.before = state.searchNext;
  ul.setAttribute("aria-busy", "true");
  request(
    frame,
    (answer) => {
      ul.removeAttribute("aria-busy");
      state.searchNext = answer.next;
      $("search-more").hidden = !answer.next;
      if (!more) {
        $("search-count").textContent = answer.hits.length
          ? answer.next
            ? "Newest results first."
            : answer.hits.length + (answer.hits.length === 1 ? " result." : " results.")
          : "Nothing found.";
      }
      for (const hit of answer.hits) ul.append(searchHit(hit));
    },
    (text) => {
      ul.removeAttribute("aria-busy");
      dialogError("search-error", text);
    }
  );
}

function searchHit(hit) {
  const m = hit.message;
  const info = rooms.get(m.room);
  const li = document.createElement("li");
  li.className = "list-group-item p-0";
  const b = document.createElement("button");
  b.type = "button";
  b.className =
    "search-hit-open list-group-item-action w-100 text-start border-0 p-2 bg-transparent";
  const head = document.createElement("div");
  head.className = "small text-body-secondary";
  head.textContent =
    m.author.username +
    " in " +
    (info ? (info.kind === "direct" ? "" : "#") + displayName(info) : "#" + m.room) +
    " · " +
    new Date(m.sent_at).toLocaleString();
  const text = document.createElement("div");
  text.className = "text-break search-hit-body";
  renderHighlighted(text, m.body, hit.highlights);
  b.append(head, text);
  b.addEventListener("click", () => {
    modal("search-dialog")?.hide();
    openAround(m.room, m.id);
  });
  li.append(b);
  return li;
}

function initSearchDialog() {
  const searchForm = $("search-form");
  if (!searchForm) return;
  searchForm.addEventListener("submit", (e) => {
    e.preventDefault();
    runSearch(false);
  });
  $("search-more").addEventListener("click", () => runSearch(true));
}

// ---- Pins: the room's pinned messages ----

// The header's button says how many (hidden when none) and opens the
// list: a Bootstrap modal on the full page, a native <dialog> on the plain
// one. The list is read with `pins` when the room is synced and when it
// opens, and follows the room's `changed` frames in between.

/** Pins or unpins a message; the answer (a `changed`) shows it. */
export function pinMessage(message, on, onError = showError) {
  if (!message || !message.id) return;
  request(
    { type: "pin", room: message.room, id: message.id, pinned: on },
    () => announce(on ? "Message pinned" : "Message unpinned"),
    onError
  );
}

/** Reads the room's pins (again). */
export function loadPins(onError) {
  const room = state.room;
  // Only the changes from now on can be newer than the answer.
  pinChanges.clear();
  state.pinsRequest = request(
    { type: "pins", room: room },
    (frame) => {
      if (frame.client_id !== state.pinsRequest || room !== state.room) return;
      pins.clear();
      for (const m of frame.messages || []) pins.set(m.id, m);
      for (const m of pinChanges.values()) {
        const listed = pins.get(m.id);
        if (!listed || !listed.rev || (m.rev && m.rev >= listed.rev)) layPin(m);
      }
      state.pinsKnown = true;
      renderPins();
    },
    (text) => {
      if (onError) onError(text);
    }
  );
}

/**
 * A change of a message of the room on screen (pinned, unpinned, edited,
 * deleted, a reaction): the list and the count follow it.
 */
export function notePin(message) {
  if (message.room !== state.room || !message.id) return;
  const seen = pinChanges.get(message.id);
  if (seen && seen.rev && message.rev && message.rev < seen.rev) return;
  pinChanges.set(message.id, message);
  if (!state.pinsKnown) return;
  const listed = pins.get(message.id);
  if (listed && listed.rev && message.rev && message.rev < listed.rev) return;
  layPin(message);
  if (listed || pins.has(message.id)) renderPins();
}

function layPin(m) {
  if (m.pinned && !m.deleted_at) pins.set(m.id, m);
  else pins.delete(m.id);
}

/** A new room on screen: nothing of the last one's pins stays. */
export function resetPins() {
  pins.clear();
  pinChanges.clear();
  state.pinsKnown = false;
  state.pinsRequest = "";
  renderPins();
}

const pinsDialog = () => $("pins-dialog");
const isNative = (dialog) => dialog.tagName === "DIALOG";

function pinsOpen() {
  const dialog = pinsDialog();
  if (!dialog) return false;
  return isNative(dialog) ? dialog.open : dialog.classList.contains("show");
}

export function renderPins() {
  renderPinsButton();
  renderPinsList();
}

function renderPinsButton() {
  const b = dom.pinsButton;
  if (!b) return;
  const n = state.pinsKnown ? pins.size : 0;
  // Kept while the list is open, even empty: the focus goes back to it.
  b.hidden = !n && !pinsOpen();
  b.querySelector(".count").textContent = String(n);
  // The count as the button shows it, after a colon: "Pinned messages (3)"
  // would fail label-in-name (axe does not find the "3" in "(3)").
  b.setAttribute("aria-label", "Pinned messages: " + n);
}

const when = (iso) => {
  const d = new Date(iso);
  return isNaN(d) ? "" : d.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
};

// Latest pinned first.
function pinnedList() {
  const at = (m) => Date.parse(m.pinned.at) || 0;
  return Array.from(pins.values()).sort((a, b) => at(b) - at(a));
}

// Built again on every change (at most 100 entries); a focused entry keeps
// the focus, and when it goes (unpinned) a neighbour takes it.
function renderPinsList() {
  const ul = $("pins-list");
  if (!ul) return;
  const active = document.activeElement;
  const had = active && ul.contains(active) ? active.closest("li[data-id]") : null;
  const hadIndex = had ? Array.from(ul.children).indexOf(had) : -1;
  const hadUnpin = Boolean(had && active.classList.contains("pin-unpin"));
  const list = state.pinsKnown ? pinnedList() : [];
  const mayUnpin = canPin(rooms.get(state.room));
  ul.replaceChildren(...list.map((m) => pinEntry(m, mayUnpin)));
  const status = $("pins-status");
  if (status) {
    status.textContent = !state.pinsKnown
      ? "Loading…"
      : list.length
        ? list.length === 1
          ? "1 pinned message."
          : list.length + " pinned messages, the latest pinned first."
        : "Nothing is pinned in this room.";
  }
  if (!had) return;
  const again = ul.querySelector('li[data-id="' + had.dataset.id + '"]');
  const to = again || ul.children[Math.min(hadIndex, ul.children.length - 1)];
  const target =
    to && ((again && hadUnpin && to.querySelector(".pin-unpin")) || to.querySelector(".pin-open"));
  if (target) target.focus();
  else pinsDialog()?.querySelector(".btn-close, .dialog-close")?.focus();
}

function pinEntry(m, mayUnpin) {
  const li = document.createElement("li");
  li.className = "list-group-item pin-entry";
  li.dataset.id = String(m.id);
  const open = document.createElement("button");
  open.type = "button";
  open.className = "pin-open";
  const head = document.createElement("span");
  head.className = "pin-head";
  const author = document.createElement("strong");
  author.className = "pin-author";
  author.textContent = m.author.username;
  head.append(author, " · " + when(m.sent_at));
  const chars = Array.from(m.body);
  const text = document.createElement("span");
  text.className = "pin-text";
  text.textContent = chars.slice(0, 200).join("") + (chars.length > 200 ? "…" : "");
  const by = document.createElement("span");
  by.className = "pin-by";
  by.textContent = "Pinned by " + m.pinned.by.username + " · " + when(m.pinned.at);
  open.append(head, text, by);
  open.title = "Show this message in the room";
  open.addEventListener("click", () => closePins(() => showMessage(m.id)));
  li.append(open);
  if (mayUnpin) {
    const unpin = document.createElement("button");
    unpin.type = "button";
    unpin.className = "btn btn-sm btn-outline-secondary pin-unpin";
    unpin.textContent = "Unpin";
    unpin.setAttribute(
      "aria-label",
      "Unpin the message from " + m.author.username + ": " + chars.slice(0, 40).join("")
    );
    unpin.addEventListener("click", () => {
      dialogError("pins-error", "");
      pinMessage(m, false, (text) => dialogError("pins-error", text));
    });
    li.append(unpin);
  }
  return li;
}

// Closes the list, then does `then` (show a message): after the modal
// has given the focus back to its button, so `then` can take it on.
function closePins(then) {
  const dialog = pinsDialog();
  if (!dialog) return;
  if (isNative(dialog)) {
    dialog._then = then;
    dialog.close();
    return;
  }
  dialog.addEventListener("hidden.bs.modal", then, { once: true });
  modal("pins-dialog")?.hide();
}

function openingPins() {
  dialogError("pins-error", "");
  renderPins();
  loadPins((text) => dialogError("pins-error", text));
}

// After the list closes: the button hides if nothing is pinned any more,
// and the focus, which would have gone back to it, goes to the composer.
function closedPins() {
  renderPinsButton();
  const b = dom.pinsButton;
  if (b && b.hidden) dom.input.focus();
}

function initPinsDialog() {
  const dialog = pinsDialog();
  const button = dom.pinsButton;
  if (!dialog || !button) return;
  if (!isNative(dialog)) {
    dialog.addEventListener("show.bs.modal", openingPins);
    dialog.addEventListener("hidden.bs.modal", closedPins);
    return;
  }
  // The plain page: a modal <dialog> keeps the focus in it and closes on
  // Escape; the focus goes back to the button.
  button.addEventListener("click", () => {
    dialog.showModal();
    openingPins();
  });
  dialog.querySelector(".dialog-close")?.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    const then = dialog._then;
    dialog._then = null;
    closedPins();
    if (!button.hidden) button.focus();
    if (then) then();
  });
}

// Wires every dialog the page has.
export function initDialogs() {
  initNewRoomDialog();
  initBrowseDialog();
  initInviteForm();
  initManageDialog();
  initMembersDialog();
  initLeaveButton();
  initDeleteDialog();
  initModerateDialog();
  initSearchDialog();
  initPinsDialog();
}
