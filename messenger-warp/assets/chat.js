// Community Messenger chat page: speaks the /ws protocol with the v2 room
// additions (docs/protocol.md) and drives the page. One WebSocket for
// every room: switching rooms leaves one and joins the next, and the URL
// (/chat/{room}) follows. Message text is only ever set as textContent:
// links and marks are elements built around text nodes, never parsed HTML.
//
// The modules, each by concern:
//   protocol.js      the WebSocket client (no DOM; for other frontends too)
//   state.js         the page's shared state and elements
//   session.js       what each server frame does to the page
//   messages.js      the message list, the composer, editing
//   rooms.js         the room sidebar, the header, switching rooms
//   people.js        names, who is online, who is typing
//   dialogs.js       new room, browse, members, manage, moderate, search
//   notifications.js opt-in notifications in a hidden tab
//   ui.js            small shared pieces (status line, errors, announcer)

import { MessengerClient } from "./protocol.js";
import { initState, state } from "./state.js";
import { initAnnouncer } from "./ui.js";
import { initMessages } from "./messages.js";
import { initRooms } from "./rooms.js";
import { initNotifications } from "./notifications.js";
import { initDialogs } from "./dialogs.js";
import { handleClose, handleFrame, showStatus } from "./session.js";

const root = document.getElementById("chat");
if (root) start(root);

function start(root) {
  initState(root);
  state.client = new MessengerClient({
    onFrame: handleFrame,
    onStatus: showStatus,
    onClose: handleClose,
  });
  initAnnouncer();
  initMessages();
  initRooms();
  initNotifications();
  initDialogs();
  window.addEventListener("online", () => state.client.reconnectNow());
  history.replaceState({ room: state.room }, "", location.pathname);
  state.client.connect();
}
