// Small pieces of the page every part uses: the connection line, the error
// line, the screen-reader announcer, the scroll position, times, dialogs.

import { dom } from "./state.js";

export const $ = (id) => document.getElementById(id);

export function setConnection(status, text) {
  dom.connection.dataset.state = status;
  dom.connection.textContent = text;
  dom.root.dataset.connection = status;
}

export function showError(text) {
  if (!dom.errorLine) return;
  dom.errorLine.textContent = text;
  dom.errorLine.hidden = !text;
}

export function nearBottom() {
  const scroller = dom.scroller;
  return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
}

export function scrollToBottom() {
  dom.scroller.scrollTop = dom.scroller.scrollHeight;
}

export function formatTime(iso) {
  const d = new Date(iso);
  return isNaN(d) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

// Screen readers hear new messages from others as they arrive, through a
// live region of their own; the message list itself is not live, so
// loading history (on join, switching rooms or scrolling back) is not read out.
export function initAnnouncer() {
  dom.announcer =
    $("announcer") ||
    (() => {
      const el = document.createElement("div");
      el.id = "announcer";
      el.setAttribute("aria-live", "polite");
      el.style.cssText =
        "position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap";
      document.body.append(el);
      return el;
    })();
}

export function announce(text) {
  const announcer = dom.announcer;
  const p = document.createElement("p");
  p.textContent = text;
  announcer.append(p);
  while (announcer.childElementCount > 5) announcer.firstElementChild.remove();
}

// ---- Dialogs (Bootstrap modals, where the page has them) ----

export function modal(id) {
  const el = $(id);
  return el && window.bootstrap ? window.bootstrap.Modal.getOrCreateInstance(el) : null;
}

export function dialogError(id, text) {
  const el = $(id);
  if (!el) return;
  el.textContent = text || "";
  el.hidden = !text;
}
