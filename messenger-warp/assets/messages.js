// The message list of the room on screen: rendering messages (text only:
// links and marks are elements built around text nodes, never parsed
// HTML), sending, editing, reactions, replies, pins, paging back, and a
// page around one message.

import { newClientId } from "./protocol.js";
import { dom, isModerator, me, online, rooms, shown, state, typers } from "./state.js";
import { formatTime, nearBottom, scrollToBottom, showError } from "./ui.js";
import { nameElement, renderOnline, renderTyping } from "./people.js";
import { canPin, markRead, openDirect, switchRoom } from "./rooms.js";
import { confirmDelete, notePin, openModerate, pinMessage, resetPins } from "./dialogs.js";

// A body with its URLs linked and its @mentions marked (and linked to a
// direct conversation), built from text nodes only.
const TOKEN = /(https?:\/\/[^\s<>"']+)|(^|[^A-Za-z0-9_.-])@([A-Za-z0-9_.-]{3,32})/g;
export function renderBody(el, text) {
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
    if (mine || !dom.roomLists.direct) {
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
export function renderHighlighted(el, text, ranges) {
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
  // The message's buttons (add a reaction, reply, the menu) stay at the
  // end of the line, after the "edited" mark that comes and goes before
  // them.
  const tools = document.createElement("span");
  tools.className = "msg-tools";
  meta.append(author, " ", time, tools);
  const body = document.createElement("div");
  body.className = "msg-body";
  li.append(meta, body);
  li.tabIndex = -1;
  li._message = message;
  renderState(li, message);
  fill(li, message, isPending);
  return li;
}

// What of a message shows in its text: a change of anything else (a
// reaction) leaves the text alone.
const textOf = (m) => [m.body, m.edited_at || "", m.deleted_at || ""].join("\n");

// The text, the quote of what it answers, the menu, the reactions. Only
// what changed is built again: a reaction arriving must not drop a text
// selection, a focused link, an open menu or an edit in progress.
function renderState(li, message) {
  li._message = message;
  if (li._text !== textOf(message)) {
    li._text = textOf(message);
    renderText(li, message);
  }
  renderQuote(li);
  renderPin(li);
  renderActions(li);
  renderReactions(li);
  renderReplyButton(li);
}

// The body, and the "edited" mark or the tombstone.
function renderText(li, message) {
  const body = li.querySelector(".msg-body");
  const meta = li.querySelector(".msg-meta");
  const old = meta.querySelector(".msg-edited");
  if (old) {
    old.previousSibling.remove(); // the space before it
    old.remove();
  }
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
      li.querySelector(".msg-tools").before(" ", mark);
    }
  }
}

// The "📌 Pinned" mark after the time (before the "edited" one): who
// pinned it and when in its tooltip, who in its text for screen readers.
function renderPin(li) {
  const m = li._message;
  const p = m && m.id && !m.deleted_at ? m.pinned : null;
  const key = p ? p.at + "\n" + p.by.username : "";
  if ((li._pin || "") === key) return;
  li._pin = key;
  const old = li.querySelector(".msg-pin");
  if (old) {
    old.previousSibling.remove(); // the space before it
    old.remove();
  }
  if (!p) return;
  const mark = document.createElement("span");
  mark.className = "msg-pin";
  const at = new Date(p.at);
  mark.title = "Pinned by " + p.by.username + (isNaN(at) ? "" : " on " + at.toLocaleString());
  const icon = document.createElement("span");
  icon.setAttribute("aria-hidden", "true");
  icon.textContent = "📌";
  const who = document.createElement("span");
  who.className = "visually-hidden";
  who.textContent = " by " + p.by.username;
  mark.append(icon, " Pinned", who);
  li.querySelector(".msg-time").after(" ", mark);
}

// A message's menu: add a reaction and reply, edit and delete for its
// author, delete and moderate for moderators, pin and unpin for those who
// may in the room (its owner, moderators, both people of a direct
// conversation). Others have no menu on others' messages: reacting and
// replying, their actions, have buttons of their own. In the tab order
// only while its message has the focus (see tabStop); keyboard users reach
// it with the arrow keys in the log and Enter, or Tab from the message.
// Built again only when what it offers changes (a role, the room's
// owner or archiving), so it survives reactions; pinning only renames its
// item.
export function renderActions(li) {
  const m = li._message;
  const live = Boolean(m && m.id && !m.deleted_at);
  const own = live && m.author.id === me.id;
  const pin = live && canPin(rooms.get(m.room));
  const offered =
    live && window.bootstrap && (own || isModerator() || pin)
      ? [own, isModerator(), pin].join("/")
      : "";
  if (li._actions !== offered) buildActions(li, offered, own, pin);
  const pinItem = li.querySelector(".msg-pin-toggle");
  if (pinItem) pinItem.textContent = m.pinned ? "Unpin" : "Pin to room";
}

function buildActions(li, offered, own, pin) {
  const m = li._message;
  li._actions = offered;
  const old = li.querySelector(".msg-actions");
  if (old) {
    keepFocus(old, li);
    old.remove();
  }
  if (!offered) return;
  const wrap = document.createElement("div");
  wrap.className = "dropdown msg-actions";
  const toggle = document.createElement("button");
  toggle.type = "button";
  toggle.className = "btn btn-sm msg-actions-toggle";
  toggle.tabIndex = tabStop(li);
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
    return b;
  };
  item("Add reaction…", () => openPicker(li));
  item("Reply", () => startReply(li));
  if (pin) {
    // Named by renderActions: "Pin to room" or "Unpin". The focus stays
    // with the message (the menu closes).
    item("", () => {
      const now = li._message;
      pinMessage(now, !now.pinned);
      li.focus({ preventScroll: true });
    }).classList.add("msg-pin-toggle");
  }
  if (own) item("Edit", () => startEdit(li));
  if (own || isModerator()) item(own ? "Delete" : "Delete message", () => confirmDelete(li));
  if (!own && isModerator()) {
    item("Moderate " + m.author.username + "…", () => openModerate(m.author.username));
  }
  wrap.append(toggle, menu);
  li.querySelector(".msg-tools").append(wrap);
}

function openMenu(li) {
  const toggle = li.querySelector(".msg-actions-toggle");
  if (toggle && window.bootstrap) window.bootstrap.Dropdown.getOrCreateInstance(toggle).show();
  // No menu (someone else's message, or a page without Bootstrap): the
  // one thing to do with it is react.
  else openPicker(li);
}

// ---- Editing ----

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
  area.maxLength = Number(dom.root.dataset.bodyLimit) || 4000;
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
  const done = () => {
    form.remove();
    body.hidden = false;
    dom.input.focus();
  };
  cancel.addEventListener("click", done);
  area.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      done();
    }
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = area.value.trim();
    if (!text) {
      confirmDelete(li);
      return;
    }
    if (text === m.body) {
      done();
      return;
    }
    state.client.request(
      { type: "edit", room: m.room, id: m.id, body: text },
      (frame) => {
        applyChange(frame.message);
        done();
      },
      (err) => showError(err)
    );
  });
  area.focus();
  area.setSelectionRange(area.value.length, area.value.length);
}

/**
 * An edit, a delete or a reaction (live, or one missed while away): update
 * what is shown. `roomStream` is null when the message was read for this
 * user (its reactions' `me` is theirs); for a frame of the room's live
 * stream, where `me` is never set, it is `{ reaction }`, the reaction the
 * frame carries if that was the change: which keys are mine then comes
 * from what was shown and that reaction.
 */
export function applyChange(message, roomStream = null) {
  if (
    message.room === state.room &&
    message.rev &&
    (state.roomRev === null || message.rev > state.roomRev)
  ) {
    state.roomRev = message.rev;
  }
  if (message.room !== state.room) return;
  const li = shown.get(message.id);
  const old = li && li._message;
  if (old && old.rev && message.rev && message.rev < old.rev) return;
  // The replies to it say what it says now, shown or not (it may be
  // older than the page); the pinned list, what it is now.
  refreshQuotes(message);
  notePin(message);
  if (!li) return;
  if (roomStream) message = withMine(message, old, roomStream.reaction);
  // What a reply answers never changes: a change that does not say keeps
  // the quote shown.
  if (!message.reply_to && old && old.reply_to) message = { ...message, reply_to: old.reply_to };
  // An edit in progress ends when the text changes under it, not when
  // someone reacts.
  if (li._text !== textOf(message)) {
    li.querySelector(".msg-edit")?.remove();
    li.querySelector(".msg-body").hidden = false;
  }
  renderState(li, message);
}

// The newest message of mine that can still be edited: the Up arrow's.
function lastOwnMessage() {
  const items = dom.list.querySelectorAll(
    ".msg-own:not(.msg-deleted):not(.msg-pending):not(.msg-failed)"
  );
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
  const mine = own && state.client.pending.get(message.client_id);
  let li;
  if (mine) {
    li = mine.data;
    state.client.pending.delete(message.client_id);
    li.classList.remove("msg-pending", "msg-failed");
    li.querySelector(".msg-retry")?.remove();
    fill(li, message, false);
    renderState(li, message);
  } else {
    li = element(message, own, false);
  }
  shown.set(message.id, li);
  if (message.id > state.lastId) {
    // Newest: after every confirmed message, before the pending ones.
    const firstPending = dom.list.querySelector(".msg-pending, .msg-failed");
    if (firstPending && firstPending !== li) dom.list.insertBefore(li, firstPending);
    else if (!li.isConnected) dom.list.append(li);
    state.lastId = message.id;
  } else {
    const next = Array.from(shown.entries())
      .filter(([id]) => id > message.id)
      .sort((a, b) => a[0] - b[0])[0];
    dom.list.insertBefore(li, next ? next[1] : dom.list.firstChild);
  }
  if (!state.oldestId || message.id < state.oldestId) state.oldestId = message.id;
}

export function onMessages(messages) {
  const scroller = dom.scroller;
  const stick = nearBottom() || state.initialLoad;
  const height = scroller.scrollHeight;
  const top = scroller.scrollTop;
  let prepended = false;
  for (const m of messages) {
    if (state.oldestId && m.id < state.oldestId) prepended = true;
    place(m);
  }
  if (stick && !prepended) scrollToBottom();
  else if (prepended) scroller.scrollTop = top + (scroller.scrollHeight - height);
  const info = rooms.get(state.room);
  if (info && state.lastId > info.last_id) info.last_id = state.lastId;
  markRead();
}

// ---- Reactions ----

// A message's controls (its reaction chips, its add-reaction and reply
// buttons, its menu button, the quote of what it answers) are in the tab
// order only while the message has the focus: one stop per message would
// bury the composer, but from a message reached with the arrow keys, Tab
// walks through its controls.
const CONTROLS = ".reaction, .msg-react-toggle, .msg-reply, .msg-actions-toggle, .msg-quote";
const tabStop = (li) => (li.contains(document.activeElement) ? 0 : -1);

function setTabStops(li) {
  for (const el of dom.list.querySelectorAll(":is(" + CONTROLS + ')[tabindex="0"]')) {
    el.tabIndex = -1;
  }
  if (li) for (const el of li.querySelectorAll(CONTROLS)) el.tabIndex = 0;
}

// Before `el` goes away with the focus in it: the focus goes to `to`
// (not to the page's body, where a keyboard user would lose their place).
function keepFocus(el, to) {
  if (el.contains(document.activeElement)) to.focus({ preventScroll: true });
}

function isMine(li, key) {
  const m = li._message;
  return Boolean(m && m.reactions && m.reactions.some((r) => r.key === key && r.me));
}

// `message` from the room's stream, where `me` is never set (one encoding
// for every reader): mine are the keys that were mine before, still there,
// with `reaction` applied if it is my own.
function withMine(message, before, reaction) {
  if (!message.reactions) return message;
  const mine = new Set(((before && before.reactions) || []).filter((r) => r.me).map((r) => r.key));
  if (reaction && reaction.user && reaction.user.id === me.id) {
    if (reaction.on) mine.add(reaction.key);
    else mine.delete(reaction.key);
  }
  const reactions = message.reactions.map((r) => ({ ...r, me: mine.has(r.key) }));
  return { ...message, reactions: reactions };
}

function react(li, key, on) {
  const m = li._message;
  if (!m || !m.id || m.deleted_at) return;
  // The answer, a `changed` with our client_id and `me` read for us, goes
  // on to handleFrame like every frame, which shows it: nothing to do here.
  state.client.request(
    { type: "react", room: m.room, id: m.id, key: key, on: on },
    () => {},
    (err) => showError(err)
  );
}

// The add-reaction button and the row of chips under the text; neither
// on a message still being sent, nor on a tombstone (it has no reactions).
function renderReactions(li) {
  const m = li._message;
  const live = Boolean(m && m.id && !m.deleted_at);
  renderReactTrigger(li, live);
  const reactions = (live && m.reactions) || [];
  let row = li.querySelector(".reactions");
  if (!reactions.length) {
    if (row) {
      keepFocus(row, li.querySelector(".msg-react-toggle") || li);
      row.remove();
    }
    return;
  }
  if (!row) {
    row = document.createElement("div");
    row.className = "reactions";
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", "Reactions");
    li.insertBefore(row, li.querySelector(".reaction-picker"));
  }
  syncChips(li, row, reactions);
  const picker = li.querySelector(".reaction-picker");
  if (picker) markPicked(picker, li);
}

function renderReactTrigger(li, live) {
  let b = li.querySelector(".msg-react-toggle");
  if (!live) {
    if (b) {
      if (li.querySelector(".reaction-picker")) closePicker(false);
      keepFocus(b, li);
      b.remove();
    }
    return;
  }
  if (b) return;
  b = document.createElement("button");
  b.type = "button";
  b.className = "btn btn-sm msg-react-toggle";
  b.dataset.action = "react";
  b.tabIndex = tabStop(li);
  b.setAttribute("aria-haspopup", "menu");
  b.setAttribute("aria-expanded", "false");
  b.setAttribute("aria-label", "Add a reaction to the message from " + li._message.author.username);
  b.title = "Add reaction";
  // A smiley in text presentation (U+FE0E), plain like the menu's "⋯".
  b.textContent = "\u263A\uFE0E+";
  b.addEventListener("click", () => togglePicker(li));
  li.querySelector(".msg-tools").prepend(b);
}

// Chips are updated in place, by key, so a focused chip keeps the focus as
// counts change; when its key goes, the focus goes to a neighbour.
function syncChips(li, row, reactions) {
  const focused = row.contains(document.activeElement) ? document.activeElement : null;
  const keys = new Set(reactions.map((r) => r.key));
  let gone = -1;
  Array.from(row.children).forEach((chip, i) => {
    if (keys.has(chip.dataset.key)) return;
    if (chip === focused) gone = i;
    chip.remove();
  });
  const chips = new Map(Array.from(row.children, (chip) => [chip.dataset.key, chip]));
  reactions.forEach((r, i) => {
    const chip = chips.get(r.key) || newChip(li, r.key);
    fillChip(chip, r);
    if (row.children[i] !== chip) row.insertBefore(chip, row.children[i] || null);
  });
  if (focused && document.activeElement !== focused) {
    const to = focused.isConnected
      ? focused
      : row.children[Math.min(gone, row.children.length - 1)];
    to.focus({ preventScroll: true });
  }
}

function newChip(li, key) {
  const chip = document.createElement("button");
  chip.type = "button";
  // A `:name:` is shown as its text.
  chip.className = "reaction" + (/^:.+:$/.test(key) ? " reaction-name" : "");
  chip.dataset.key = key;
  chip.tabIndex = tabStop(li);
  const label = document.createElement("span");
  label.className = "reaction-key";
  label.textContent = key;
  const count = document.createElement("span");
  count.className = "count";
  // The space is not drawn (the gap is CSS) but keeps the text "👍 2",
  // the start of the chip's name.
  chip.append(label, " ", count);
  chip.addEventListener("click", () => react(li, key, !isMine(li, key)));
  return chip;
}

function fillChip(chip, r) {
  const mine = Boolean(r.me);
  chip.setAttribute("aria-pressed", String(mine));
  chip.querySelector(".count").textContent = String(r.count);
  // The name starts with what the chip shows ("👍 2"); pressed or not is
  // aria-pressed's to say, and the title says what a press does.
  let name = r.key + " " + r.count + (r.count === 1 ? " reaction" : " reactions");
  if (mine) name += r.count === 1 ? ", yours" : ", including yours";
  chip.setAttribute("aria-label", name);
  chip.title = (mine ? "Remove your " : "React with ") + r.key;
}

// The picker: common emoji (fully qualified, as the server keeps them: "❤️"
// is the key of "❤" too), with the names a tooltip and a screen reader
// give them.
const PICKS = [
  ["👍", "thumbs up"],
  ["❤️", "red heart"],
  ["😂", "face with tears of joy"],
  ["🎉", "party popper"],
  ["😮", "face with open mouth"],
  ["😢", "crying face"],
  ["👀", "eyes"],
  ["🚀", "rocket"],
];

const openPickerEl = () => document.getElementById("reaction-picker");

function togglePicker(li) {
  if (openPickerEl()?.closest(".msg") === li) closePicker(true);
  else openPicker(li);
}

// A menu of checkable items under the message (one open at a time): the
// focus goes to its first item; arrows, Home and End move in it; Escape
// closes it and gives the focus back to the add-reaction button, and Tab
// closes it and goes on from that button, as from a menu button.
function openPicker(li) {
  const trigger = li.querySelector(".msg-react-toggle");
  if (!trigger) return;
  closePicker(false);
  const menu = document.createElement("div");
  menu.id = "reaction-picker";
  menu.className =
    "reaction-picker" + (li.classList.contains("msg-own") ? " reaction-picker-end" : "");
  menu.setAttribute("role", "menu");
  menu.setAttribute("aria-label", "Add a reaction");
  for (const [emoji, name] of PICKS) {
    const b = document.createElement("button");
    b.type = "button";
    b.setAttribute("role", "menuitemcheckbox");
    b.tabIndex = -1;
    b.dataset.emoji = emoji;
    b.textContent = emoji;
    b.title = name;
    b.setAttribute("aria-label", name);
    b.addEventListener("click", () => {
      const on = !isMine(li, emoji);
      closePicker(true);
      react(li, emoji, on);
    });
    menu.append(b);
  }
  markPicked(menu, li);
  menu.addEventListener("keydown", pickerKey);
  // Focus gone elsewhere closes it; to its own button, that button's click
  // does (it toggles).
  menu.addEventListener("focusout", (e) => {
    if (e.relatedTarget && !menu.contains(e.relatedTarget) && e.relatedTarget !== trigger) {
      closePicker(false);
    }
  });
  li.append(menu);
  // Just under its button, whatever the height of the line it is on.
  const top = trigger.getBoundingClientRect().bottom - li.getBoundingClientRect().top;
  menu.style.top = Math.round(top + 2) + "px";
  trigger.setAttribute("aria-expanded", "true");
  trigger.setAttribute("aria-controls", menu.id);
  menu.firstElementChild.focus({ preventScroll: true });
  menu.scrollIntoView({ block: "nearest" });
}

// Which picks are mine already: picking one of those takes it back.
function markPicked(menu, li) {
  for (const b of menu.children)
    b.setAttribute("aria-checked", String(isMine(li, b.dataset.emoji)));
}

function pickerKey(e) {
  const items = Array.from(e.currentTarget.children);
  const at = items.indexOf(document.activeElement);
  let to;
  switch (e.key) {
    case "ArrowRight":
    case "ArrowDown":
      to = (at + 1) % items.length;
      break;
    case "ArrowLeft":
    case "ArrowUp":
      to = (at - 1 + items.length) % items.length;
      break;
    case "Home":
      to = 0;
      break;
    case "End":
      to = items.length - 1;
      break;
    case "Escape":
      e.preventDefault();
      e.stopPropagation();
      closePicker(true);
      return;
    case "Tab":
      // Not prevented: the Tab then moves on from the button.
      closePicker(true);
      return;
    default:
      return;
  }
  e.preventDefault();
  items[to].focus();
}

// Closes the open picker; the focus goes back to its button when asked,
// or when it was in the picker (it must not fall to the page's body).
function closePicker(refocus) {
  const menu = openPickerEl();
  if (!menu) return;
  const li = menu.closest(".msg");
  const trigger = li && li.querySelector(".msg-react-toggle");
  const hadFocus = menu.contains(document.activeElement);
  menu.remove();
  if (trigger) {
    trigger.setAttribute("aria-expanded", "false");
    trigger.removeAttribute("aria-controls");
  }
  if ((refocus || hadFocus) && li) (trigger || li).focus({ preventScroll: true });
}

// A press anywhere but in the picker or on its button closes it.
function closePickerOutside(e) {
  const menu = openPickerEl();
  if (!menu || !(e.target instanceof Node)) return;
  const trigger = menu.closest(".msg").querySelector(".msg-react-toggle");
  if (!menu.contains(e.target) && !trigger.contains(e.target)) closePicker(false);
}

// ---- Replies ----

// What a reply shows of the message it answers, by the server's rule (the
// first 100 characters, in code points as Rust counts them), so a quote
// refreshed here says what a reload would. `rev` orders the refreshes.
const EXCERPT_CHARS = 100;

function quoteOf(message) {
  const to = { id: message.id, author: message.author, excerpt: "" };
  if (message.deleted_at) to.deleted = true;
  else to.excerpt = Array.from(message.body).slice(0, EXCERPT_CHARS).join("");
  if (message.rev) to.rev = message.rev;
  return to;
}

// The quote above a reply's text, "↩ ada: excerpt": a button that shows
// the answered message. None on a tombstone (a deleted reply keeps nothing
// of what it said). Filled in place, so a focused quote keeps the focus.
function renderQuote(li) {
  const m = li._message;
  const to = m && !m.deleted_at ? m.reply_to : null;
  const key = to ? [to.id, to.author.username, to.excerpt, Boolean(to.deleted)].join("\n") : "";
  if (li._quote === key) return;
  li._quote = key;
  let quote = li.querySelector(".msg-quote");
  if (!to) {
    if (quote) {
      keepFocus(quote, li);
      quote.remove();
    }
    return;
  }
  if (!quote) {
    quote = newQuote(li);
    li.querySelector(".msg-body").before(quote);
  }
  fillQuote(quote, to);
}

function newQuote(li) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "msg-quote";
  b.tabIndex = tabStop(li);
  b.title = "Show the message this replies to";
  // Seen as "↩ ada: …", heard as "In reply to ada: …".
  const mark = document.createElement("span");
  mark.className = "msg-quote-mark";
  mark.setAttribute("aria-hidden", "true");
  mark.textContent = "\u21A9\uFE0E";
  const lead = document.createElement("span");
  lead.className = "visually-hidden";
  lead.textContent = "In reply to ";
  const author = document.createElement("span");
  author.className = "msg-quote-author";
  const text = document.createElement("span");
  text.className = "msg-quote-text";
  // One line, cut with an ellipsis: the line is a span of its own (a
  // button's inner box does not take text-overflow everywhere).
  const line = document.createElement("span");
  line.className = "msg-quote-line";
  line.append(mark, " ", lead, author, ": ", text);
  b.append(line);
  b.addEventListener("click", () => showMessage(Number(b.dataset.replyTo)));
  return b;
}

function fillQuote(quote, to) {
  quote.dataset.replyTo = String(to.id);
  quote.classList.toggle("msg-quote-deleted", Boolean(to.deleted));
  quote.querySelector(".msg-quote-author").textContent = to.author.username;
  quote.querySelector(".msg-quote-text").textContent = to.deleted ? "message deleted" : to.excerpt;
}

// The answered message changed: only its own `changed` frame says so, not
// one per reply. The replies on screen (pending ones too) and the reply
// bar then say what it says now; a reaction, which changes no text, and a
// frame older than what a quote shows change nothing.
function refreshQuotes(message) {
  if (!message.id || !dom.list) return;
  const to = quoteOf(message);
  const current = (q) =>
    (q.excerpt === to.excerpt && Boolean(q.deleted) === Boolean(to.deleted)) ||
    Boolean(q.rev && to.rev && to.rev < q.rev);
  const quotes = dom.list.querySelectorAll('.msg-quote[data-reply-to="' + message.id + '"]');
  for (const quote of quotes) {
    const li = quote.closest(".msg");
    const m = li._message;
    if (!m || !m.reply_to || current(m.reply_to)) continue;
    li._message = { ...m, reply_to: to };
    renderQuote(li);
  }
  if (state.replyTo && state.replyTo.id === message.id && !current(state.replyTo)) {
    state.replyTo = to;
    renderReplyBar();
  }
}

// A quote's press (or a pinned message's, in the list): the message, on
// screen already or in a page loaded around it (as a search result opens
// one).
export function showMessage(id) {
  const li = shown.get(id);
  if (!li) {
    openAround(state.room, id);
    return;
  }
  li.scrollIntoView({ block: "center" });
  li.focus({ preventScroll: true });
  flash(li);
}

// Where the eye should land, for a moment.
function flash(li) {
  clearTimeout(li._flash);
  li.classList.add("msg-flash");
  li._flash = setTimeout(() => li.classList.remove("msg-flash"), 2000);
}

// The reply button, next to the add-reaction one; as that one, neither on
// a message still being sent nor on a tombstone (there is nothing to
// answer yet, or any more).
function renderReplyButton(li) {
  const m = li._message;
  const live = Boolean(m && m.id && !m.deleted_at);
  let b = li.querySelector(".msg-reply");
  if (!live) {
    if (b) {
      keepFocus(b, li);
      b.remove();
    }
    return;
  }
  if (b) return;
  b = document.createElement("button");
  b.type = "button";
  b.className = "btn btn-sm msg-reply";
  b.dataset.action = "reply";
  b.tabIndex = tabStop(li);
  b.setAttribute("aria-label", "Reply to " + m.author.username);
  b.title = "Reply";
  // An arrow in text presentation (U+FE0E), plain like the others.
  b.textContent = "\u21A9\uFE0E";
  b.addEventListener("click", () => startReply(li));
  const tools = li.querySelector(".msg-tools");
  tools.insertBefore(b, tools.querySelector(".msg-actions"));
}

// Reply mode: the composer's next message answers `li`'s. The focus goes
// to the input, which the reply bar describes.
function startReply(li) {
  const m = li._message;
  if (!m || !m.id || m.deleted_at || dom.input.disabled) return;
  closePicker(false);
  state.replyTo = quoteOf(m);
  renderReplyBar();
  dom.input.focus();
}

function endReply() {
  if (!state.replyTo) return;
  state.replyTo = null;
  renderReplyBar();
}

// The bar at the top of the composer, "Replying to ada: excerpt", with a
// button that ends reply mode. Built here, not in the templates, so any
// page with a composer has it.
function initReplies() {
  const bar = document.createElement("div");
  bar.id = "reply-bar";
  bar.className = "reply-bar";
  bar.hidden = true;
  const text = document.createElement("span");
  text.id = "reply-bar-text";
  text.className = "reply-bar-text";
  const author = document.createElement("strong");
  author.className = "reply-bar-author";
  const excerpt = document.createElement("span");
  excerpt.className = "reply-bar-excerpt";
  text.append("Replying to ", author, ": ", excerpt);
  const cancel = document.createElement("button");
  cancel.type = "button";
  cancel.className = "btn btn-sm reply-bar-cancel";
  cancel.setAttribute("aria-label", "Cancel reply");
  cancel.title = "Cancel reply (Escape)";
  cancel.textContent = "\u00D7";
  cancel.addEventListener("click", () => {
    endReply();
    // The button is gone: the input is where one was going.
    dom.input.focus();
  });
  bar.append(text, cancel);
  dom.composer.prepend(bar);
  dom.replyBar = bar;
}

function renderReplyBar() {
  const bar = dom.replyBar;
  if (!bar) return;
  const to = state.replyTo;
  bar.hidden = !to;
  // Landing in the input, a screen reader says what it answers.
  describeInput("reply-bar-text", Boolean(to));
  if (!to) return;
  bar.querySelector(".reply-bar-author").textContent = to.author.username;
  const excerpt = bar.querySelector(".reply-bar-excerpt");
  excerpt.textContent = to.deleted ? "message deleted" : to.excerpt;
  excerpt.classList.toggle("reply-bar-deleted", Boolean(to.deleted));
}

// Adds or removes one id in the input's aria-describedby, keeping the
// page's own (the composer's help).
function describeInput(id, on) {
  const ids = (dom.input.getAttribute("aria-describedby") || "")
    .split(/\s+/)
    .filter((x) => x && x !== id);
  if (on) ids.unshift(id);
  if (ids.length) dom.input.setAttribute("aria-describedby", ids.join(" "));
  else dom.input.removeAttribute("aria-describedby");
}

// ---- Sending ----

export function sendPending(clientId) {
  const p = state.client.pending.get(clientId);
  if (!p) return;
  const li = p.data;
  li.classList.remove("msg-failed");
  li.classList.add("msg-pending");
  li.querySelector(".msg-time").textContent = "sending…";
  li.querySelector(".msg-retry")?.remove();
  state.client.resend(clientId);
}

export function markFailed(clientId, text) {
  const p = state.client.pending.get(clientId);
  if (!p) return;
  const li = p.data;
  li.classList.remove("msg-pending");
  li.classList.add("msg-failed");
  li.querySelector(".msg-time").textContent = "not sent: " + text;
  if (!li.querySelector(".msg-retry")) {
    const retry = document.createElement("button");
    retry.type = "button";
    retry.className = "msg-retry btn btn-link btn-sm p-0 ms-2";
    retry.textContent = "Retry";
    retry.addEventListener("click", () => sendPending(clientId));
    li.querySelector(".msg-meta").append(retry);
  }
}

function submit() {
  const input = dom.input;
  const body = input.value.trim();
  if (!body) return;
  const to = state.replyTo;
  // The server would refuse it (not_found): keep the text, say why.
  if (to && to.deleted) {
    showError("The message you are replying to was deleted. Cancel the reply to send yours.");
    return;
  }
  const clientId = newClientId();
  const message = { author: me, body: body, client_id: clientId };
  // Pending, it shows its quote already.
  if (to) message.reply_to = to;
  const li = element(message, true, true);
  dom.list.append(li);
  scrollToBottom();
  input.value = "";
  saveDraft(state.room, "");
  autoGrow();
  showError("");
  endReply();
  state.client.post(state.room, body, { clientId: clientId, replyTo: to && to.id, data: li });
}

// Drafts: what the composer held in each room, so a draft never follows
// you into another room, kept across reloads in this browser (per user)
// and dropped when you log out here.
const draftsKey = () => "cm-drafts-" + me.id;

function drafts() {
  try {
    return JSON.parse(localStorage.getItem(draftsKey())) || {};
  } catch {
    return {};
  }
}

function saveDraft(room, text) {
  const all = drafts();
  if (text.trim()) all[room] = text;
  else delete all[room];
  try {
    localStorage.setItem(draftsKey(), JSON.stringify(all));
  } catch {
    // Storage full or off: the draft lives only as long as the page.
  }
}

/** Keeps the composer's text as `from`'s draft and shows `to`'s. */
export function swapDraft(from, to) {
  saveDraft(from, dom.input.value);
  dom.input.value = drafts()[to] || "";
  autoGrow();
}

function autoGrow() {
  const input = dom.input;
  input.style.height = "auto";
  input.style.height = Math.min(input.scrollHeight, 160) + "px";
}

function loadOlder() {
  if (!state.hasOlder || state.loadingOlder || !state.oldestId) return;
  state.loadingOlder = true;
  const frame = {
    type: "history",
    room: state.room,
    before: state.oldestId,
    limit: state.historyLimit,
  };
  if (!state.client.send(frame)) state.loadingOlder = false;
}

// A new room on screen: nothing of the last one stays.
export function resetView() {
  dom.list.replaceChildren();
  shown.clear();
  for (const [id, p] of state.client.pending) {
    if (p.room !== state.room) state.client.pending.delete(id);
  }
  for (const t of typers.values()) clearTimeout(t.timer);
  typers.clear();
  renderTyping();
  online.clear();
  renderOnline();
  state.lastId = 0;
  state.oldestId = 0;
  state.hasOlder = false;
  state.loadingOlder = false;
  state.initialLoad = true;
  state.roomRev = null;
  setWindowed(false);
  dom.olderButton.hidden = true;
  endReply();
  resetPins();
  showError("");
}

// ---- A page around one message (a search result) ----

export function setWindowed(on) {
  state.windowed = on;
  if (dom.jumpButton) dom.jumpButton.hidden = !on;
}

export function clearMessages() {
  dom.list.replaceChildren();
  shown.clear();
  state.lastId = 0;
  state.oldestId = 0;
}

export function openAround(name, id) {
  state.pendingAround = id;
  if (name !== state.room) {
    switchRoom(name, true);
    return;
  }
  if (state.joined) requestAround();
}

export function requestAround() {
  const id = state.pendingAround;
  state.pendingAround = 0;
  if (id) {
    state.client.send({ type: "history", room: state.room, around: id, limit: state.historyLimit });
  }
}

export function showAround(frame) {
  clearMessages();
  for (const m of frame.messages) place(m);
  state.hasOlder = frame.has_more;
  dom.olderButton.hidden = !state.hasOlder;
  state.initialLoad = false;
  setWindowed(Boolean(frame.has_newer));
  const target = shown.get(frame.around);
  if (target) {
    dom.list.querySelectorAll(".msg-target").forEach((el) => el.classList.remove("msg-target"));
    target.classList.add("msg-target");
    target.scrollIntoView({ block: "center" });
    target.focus({ preventScroll: true });
  }
}

export function jumpToLatest() {
  clearMessages();
  setWindowed(false);
  state.initialLoad = true;
  state.syncing = state.client.join(state.room);
  dom.input.focus();
}

// The composer, the log's keyboard, paging back, reading.
export function initMessages() {
  const { composer, input, scroller, list, olderButton, jumpButton } = dom;
  if (jumpButton) jumpButton.addEventListener("click", jumpToLatest);
  composer.addEventListener("submit", (e) => {
    e.preventDefault();
    submit();
  });
  input.value = drafts()[state.room] || "";
  autoGrow();
  input.addEventListener("input", () => saveDraft(state.room, input.value));
  for (const form of document.querySelectorAll('form[action="/logout"]')) {
    form.addEventListener("submit", () => localStorage.removeItem(draftsKey()));
  }
  initReplies();
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    }
    // Escape ends a reply (the text stays); with none, it is not ours.
    if (e.key === "Escape" && state.replyTo && !e.isComposing) {
      e.preventDefault();
      endReply();
    }
    // Up in an empty composer edits my last message, as in most chats.
    if (
      e.key === "ArrowUp" &&
      !input.value &&
      !e.shiftKey &&
      !e.altKey &&
      !e.ctrlKey &&
      !e.metaKey
    ) {
      const li = lastOwnMessage();
      if (li) {
        e.preventDefault();
        li.scrollIntoView({ block: "nearest" });
        startEdit(li);
      }
    }
  });

  // In the message log: Up and Down step through messages, Enter (or the
  // context-menu key) opens a message's menu, Tab goes through its
  // controls, Escape goes back to the message, then to the log. The menu,
  // the picker and the edit box have keys of their own.
  scroller.addEventListener("keydown", (e) => {
    if (e.target.closest(".msg-actions, .reaction-picker, .msg-edit")) return;
    const current = e.target.closest(".msg");
    const items = Array.from(list.querySelectorAll(".msg"));
    if (!items.length) return;
    let next = null;
    if (e.key === "ArrowUp") {
      next = current ? items[items.indexOf(current) - 1] : items[items.length - 1];
    } else if (e.key === "ArrowDown" && current) {
      next = items[items.indexOf(current) + 1];
    } else if (
      current &&
      ((e.key === "Enter" && e.target === current) ||
        e.key === "ContextMenu" ||
        (e.key === "F10" && e.shiftKey))
    ) {
      // Enter on a button or a link in the message is theirs.
      e.preventDefault();
      openMenu(current);
      return;
    } else if (current && e.key === "Escape") {
      e.preventDefault();
      (e.target === current ? scroller : current).focus();
      return;
    } else return;
    e.preventDefault();
    if (next) {
      next.focus();
      next.scrollIntoView({ block: "nearest" });
    }
  });
  input.addEventListener("input", () => {
    autoGrow();
    const now = Date.now();
    if (input.value.trim() && now - state.lastTypingSent > 2000) {
      state.lastTypingSent = now;
      state.client.send({ type: "typing", room: state.room });
    }
  });
  list.addEventListener("focusin", (e) => setTabStops(e.target.closest(".msg")));
  list.addEventListener("focusout", (e) => {
    const li = e.target.closest(".msg");
    if (li && !li.contains(e.relatedTarget)) setTabStops(null);
  });
  document.addEventListener("pointerdown", closePickerOutside, true);
  olderButton.addEventListener("click", loadOlder);
  scroller.addEventListener("scroll", () => {
    if (scroller.scrollTop < 40) loadOlder();
    markRead();
  });
  document.addEventListener("visibilitychange", markRead);
}
