// Notifications (opt-in): mentions and direct messages in a hidden tab.

import { dom } from "./state.js";
import { switchRoom } from "./rooms.js";

const canNotify = "Notification" in window;

function notifyOn() {
  return (
    canNotify && Notification.permission === "granted" && localStorage.getItem("cm-notify") === "on"
  );
}

function renderNotifyToggle() {
  const toggle = dom.notifyToggle;
  if (!toggle) return;
  toggle.hidden = !canNotify;
  toggle.setAttribute("aria-pressed", String(notifyOn()));
  toggle.textContent = notifyOn() ? "Notifications on" : "Notify me";
}

// The toggle, where the page has one.
export function initNotifications() {
  const toggle = dom.notifyToggle;
  if (!toggle) return;
  toggle.addEventListener("click", async () => {
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

export function notify(title, body, name) {
  if (!notifyOn() || document.visibilityState === "visible") return;
  const n = new Notification(title, { body: body, tag: "cm-" + name });
  n.addEventListener("click", () => {
    window.focus();
    switchRoom(name, true);
    n.close();
  });
}
