// People in the room: names (a way to a direct conversation), who is
// online, who is typing.

import { dom, isModerator, me, online, typers } from "./state.js";
import { $ } from "./ui.js";
import { openDirect } from "./rooms.js";
import { openModerate } from "./dialogs.js";

// A user's name: a button that opens a direct conversation, where the
// page has rooms; plain text for oneself or without them.
export function nameElement(user, className) {
  const canDm = dom.roomLists.direct && user.id !== me.id;
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

export function renderOnline() {
  dom.onlineList.replaceChildren();
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
    dom.onlineList.append(li);
  }
  dom.onlineCount.textContent = "(" + users.length + ")";
}

export function renderTyping() {
  const names = Array.from(typers.values(), (t) => t.user.username);
  dom.typingLine.textContent =
    names.length === 0
      ? ""
      : names.length === 1
        ? names[0] + " is typing…"
        : names.length === 2
          ? names[0] + " and " + names[1] + " are typing…"
          : "Several people are typing…";
}

// Someone typed: shown for 3.5 s, or until their message comes.
export function startTyping(user) {
  stopTyping(user.id);
  const timer = setTimeout(() => stopTyping(user.id), 3500);
  typers.set(user.id, { user: user, timer: timer });
  renderTyping();
}

export function stopTyping(userId) {
  const t = typers.get(userId);
  if (t) {
    clearTimeout(t.timer);
    typers.delete(userId);
    renderTyping();
  }
}
