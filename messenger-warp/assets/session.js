// What the server's frames do to the page, the connection line, and the
// end of a session (a ban, a logout).

import { dom, me, online, rooms, shown, state } from "./state.js";
import { $, announce, setConnection, showError } from "./ui.js";
import { renderOnline, startTyping, stopTyping } from "./people.js";
import { displayName, renderHeader, renderRooms, switchRoom, upsertRoom } from "./rooms.js";
import {
  applyChange,
  clearMessages,
  jumpToLatest,
  markFailed,
  onMessages,
  renderActions,
  requestAround,
  sendPending,
  setWindowed,
  showAround,
} from "./messages.js";
import { notify } from "./notifications.js";
import { loadPins, renderPins } from "./dialogs.js";

// The connection line follows the client's state.
const STATUS_TEXT = {
  connecting: "Connecting…",
  reconnecting: "Reconnecting…",
  online: "Connected",
};
export function showStatus(status) {
  if (status.state === "offline") {
    setConnection("offline", "Offline, retrying in " + Math.ceil(status.delay / 1000) + " s…");
  } else {
    setConnection(status.state, STATUS_TEXT[status.state]);
  }
}

export function handleFrame(frame) {
  const client = state.client;
  switch (frame.type) {
    case "ready":
      if (frame.role && frame.role !== me.role) {
        me.role = frame.role;
        shown.forEach((li) => renderActions(li));
        renderPins();
        renderOnline();
      }
      for (const info of frame.room_info || []) upsertRoom(info);
      // Opening a public room one is not in (a link, the address bar)
      // joins it, so it stays in the list.
      if (frame.room_info && !rooms.has(state.room)) {
        client.request(
          { type: "enter", room: state.room },
          (answer) => upsertRoom(answer.room),
          () => {}
        );
      }
      renderHeader();
      if (state.windowed) {
        clearMessages();
        setWindowed(false);
        state.initialLoad = true;
      }
      // Back after a drop: what was missed, and (with `rev`) the edits
      // and deletes of what is already shown.
      state.joined = client.join(state.room, { since: state.lastId, rev: state.roomRev });
      state.syncing = state.joined;
      break;
    case "synced":
      if (frame.room !== state.room) break;
      state.syncing = false;
      if (state.roomRev === null || frame.rev > state.roomRev) state.roomRev = frame.rev;
      if (state.pendingAround) requestAround();
      // The room's pins: the header's count, the list.
      loadPins();
      break;
    case "changed":
      applyChange(frame.message, readForMe(frame) ? null : { reaction: frame.reaction });
      break;
    case "history":
      if (frame.room !== state.room) break;
      if (frame.around) {
        showAround(frame);
        break;
      }
      if (state.loadingOlder || state.initialLoad) state.hasOlder = frame.has_more;
      state.loadingOlder = false;
      onMessages(frame.messages);
      dom.olderButton.hidden = !state.hasOlder;
      state.initialLoad = false;
      break;
    case "presence":
      if (frame.room !== state.room) break;
      online.clear();
      for (const u of frame.online) online.set(u.id, u);
      renderOnline();
      // Re-send what was typed while offline (same client_id: no duplicates).
      for (const clientId of client.pending.keys()) sendPending(clientId);
      break;
    case "presence_diff":
      if (frame.room !== state.room) break;
      for (const u of frame.joined) online.set(u.id, u);
      for (const u of frame.left) {
        online.delete(u.id);
        stopTyping(u.id);
      }
      renderOnline();
      break;
    case "message":
      if (frame.message.room !== state.room) break;
      stopTyping(frame.message.author.id);
      // Looking at an older page: the newest are one button away.
      if (state.windowed && !client.pending.has(frame.message.client_id)) break;
      if (state.windowed) jumpToLatest();
      if (!shown.has(frame.message.id) && frame.message.author.id !== me.id) {
        announce(spoken(frame.message));
      }
      onMessages([frame.message]);
      break;
    case "typing":
      if (frame.room !== state.room || frame.user.id === me.id) break;
      startTyping(frame.user);
      break;
    case "room":
      upsertRoom(frame.room);
      break;
    case "room_removed":
      rooms.delete(frame.room);
      renderRooms();
      if (frame.room === state.room) {
        state.joined = false;
        switchRoom("general", true);
      }
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
      if (info && frame.message.id > info.last_read && frame.room !== state.room) {
        info.mentions += 1;
        if (frame.message.id > info.last_id) info.last_id = frame.message.id;
        renderRooms();
      }
      if (info) {
        announce(frame.message.author.username + " mentioned you in " + displayName(info));
      }
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
      if (frame.code === "unauthorized") {
        window.location.assign("/login");
        return;
      }
      if (frame.code === "forbidden" && /^this account is banned/.test(frame.message)) {
        endSession(frame.message);
        return;
      }
      if (frame.client_id && client.pending.has(frame.client_id)) {
        markFailed(frame.client_id, frame.message);
      } else showError(frame.message);
      break;
  }
}

// A new message as the announcer says it: who, to whom if it is a reply,
// and what.
function spoken(m) {
  const to = m.reply_to ? ", replying to " + m.reply_to.author.username : "";
  return m.author.username + to + ": " + m.body;
}

// Whether a `changed` frame's reactions say which are mine (`me`). The
// room's live stream is encoded once for every reader, so `me` is never set
// there: a reaction frame carries its change (`reaction`) instead, and an
// edit or a delete carries neither. What is read for this user is an
// answer to its own request (`client_id`) and the catch-up of a join
// (before `synced`); a `me` anywhere also proves it (never on the stream).
function readForMe(frame) {
  if (frame.client_id) return true;
  if (frame.reaction) return false;
  return state.syncing || (frame.message.reactions || []).some((r) => r.me);
}

// The socket closed: whether to connect again.
export function handleClose(e) {
  state.joined = false;
  online.clear();
  renderOnline();
  if (state.ended) return false;
  if (e.code === 1008 && e.reason && e.reason !== "logged out") {
    endSession(e.reason);
    return false;
  }
  if (e.code === 1008) {
    window.location.assign("/login");
    return false;
  }
  return true;
}

// The server ended this session for good (a moderator banned the user):
// say why, stop reconnecting, and offer the way back.
function endSession(reason) {
  if (state.ended) return;
  state.ended = true;
  setConnection("offline", "Disconnected");
  const box = $("session-ended");
  if (box) {
    $("session-ended-reason").textContent = reason;
    box.hidden = false;
    box.focus();
  } else {
    showError(reason);
  }
  dom.input.disabled = true;
  dom.composer.querySelector("button[type=submit]").disabled = true;
  state.client.close();
}
