// The Community Messenger WebSocket protocol (docs/protocol.md, v2), as a
// client with no page in it: it connects, reconnects with backoff, pairs
// requests with their answers by client_id, and keeps the sends that are
// not answered yet so they can go again with the same client_id (the
// server stores a client_id once: no duplicates). The chat page is built
// on it; a frontend of your own can import it from
// /static/messenger/protocol.js the same way.

/**
 * A user as the server shows one.
 * @typedef {object} User
 * @property {number} id
 * @property {string} username
 */

/**
 * One key's reactions on a message. `me` is present only when true, and
 * only where the message was read for this user (an answer to one's own
 * request, `history`, the catch-up of a join): never on the room's live
 * `changed` frames, which are encoded once for every reader and carry the
 * change itself in `reaction` instead.
 * @typedef {object} Reaction
 * @property {string} key An emoji, or a `:name:` (shown as text).
 * @property {number} count At least 1.
 * @property {boolean} [me] Whether this user is among them.
 */

/**
 * What a reply shows of the message it answers, as that message is when
 * the reply is read (a live `message` frame: when the reply was stored).
 * When the answered message changes later, only its own `changed` frame
 * says so: a client updates the replies it shows from that.
 * @typedef {object} ReplyTo
 * @property {number} id The answered message (same room).
 * @property {User} author Its author.
 * @property {string} excerpt The first 100 characters (code points) of its
 *   body; "" once it is deleted.
 * @property {boolean} [deleted] Present (true) once it is deleted.
 */

/**
 * That a message is pinned in its room: when, and by whom.
 * @typedef {object} Pinned
 * @property {string} at RFC 3339 UTC
 * @property {User} by
 */

/**
 * A message. `edited_at`, `deleted_at`, `rev`, `reactions`, `reply_to` and
 * `pinned` are present only when set; a deleted message keeps its id,
 * author and times, has the body "" and no reactions, and is not pinned.
 * @typedef {object} Message
 * @property {number} id Dense per room: 1, 2, 3, …
 * @property {string} room
 * @property {User} author
 * @property {string} body
 * @property {string} sent_at RFC 3339 UTC
 * @property {string} client_id
 * @property {string} [edited_at]
 * @property {string} [deleted_at]
 * @property {number} [rev] The room's change number of its latest change.
 * @property {Reaction[]} [reactions] Keys in display order.
 * @property {ReplyTo} [reply_to] The message it answers.
 * @property {Pinned} [pinned] Pinned in its room (a `changed` frame says
 *   when it is pinned or unpinned).
 */

/**
 * A frame from the server: `type` and, by type, the fields of
 * docs/protocol.md (`ready`, `history`, `presence`, `message`, …). An
 * answer to a request carries the request's `client_id`.
 * @typedef {{ type: string, client_id?: string } & Record<string, any>} ServerFrame
 */

/**
 * A frame to the server: `type` and, by type, its fields (`join`, `send`,
 * `history`, `typing`, …).
 * @typedef {{ type: string } & Record<string, any>} ClientFrame
 */

/**
 * Where the connection stands, as `onStatus` hears it.
 * - `connecting`: the first socket is opening (`attempt` 0);
 * - `reconnecting`: a later one is (`attempt` is how many closed before);
 * - `online`: the server said `ready`;
 * - `offline`: the socket closed; the next attempt is in `delay` ms.
 * @typedef {object} Status
 * @property {"connecting" | "reconnecting" | "online" | "offline"} state
 * @property {number} attempt
 * @property {number} [delay]
 */

/**
 * A send not answered yet (see {@link MessengerClient#post}).
 * @typedef {object} PendingSend
 * @property {string} room
 * @property {string} body
 * @property {number} [replyTo] The id of the message it answers.
 * @property {*} data Whatever the caller attached (the page keeps the
 *   message's element there).
 */

/** The protocol version this client speaks: the socket is `/ws?v=2`. */
export const PROTOCOL_VERSION = 2;

/** The types of the frames the server sends on a v2 socket. */
export const SERVER_FRAMES = Object.freeze([
  "ready",
  "history",
  "synced",
  "presence",
  "presence_diff",
  "message",
  "changed",
  "typing",
  "room",
  "room_removed",
  "activity",
  "mention",
  "read",
  "directory",
  "members",
  "blocked",
  "invite",
  "invites",
  "search_results",
  "reactions",
  "pins",
  "error",
]);

/** The types of the frames a client sends. */
export const CLIENT_FRAMES = Object.freeze([
  "join",
  "leave",
  "send",
  "typing",
  "history",
  "read",
  "edit",
  "delete",
  "react",
  "reactions",
  "pin",
  "pins",
  "search",
  "create_room",
  "browse",
  "enter",
  "exit",
  "members",
  "add_member",
  "remove_member",
  "block",
  "unblock",
  "blocked",
  "set_room",
  "archive_room",
  "delete_room",
  "create_invite",
  "invites",
  "revoke_invite",
  "accept_invite",
  "open_dm",
]);

// WebSocket.OPEN, also for a WebSocket class given in the options.
const OPEN = 1;

/**
 * A new client_id: a random UUID (or 32 random hex digits where
 * `crypto.randomUUID` is missing).
 * @returns {string}
 */
export function newClientId() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * How long to wait before reconnect attempt `attempt` (1 for the first):
 * 0.5 s, doubling up to 15 s, each time between 75 % and 125 % of that.
 * @param {number} attempt
 * @param {() => number} [random] A number in [0, 1), `Math.random` by default.
 * @returns {number} milliseconds
 */
export function reconnectDelay(attempt, random = Math.random) {
  return Math.min(15000, 500 * 2 ** Math.min(attempt - 1, 5)) * (0.75 + random() / 2);
}

/**
 * The socket address for a page at `location`: the same host, `wss:` under
 * https, and `/ws?v=2`.
 * @param {{ protocol: string, host: string }} [location] The page's by default.
 * @returns {string}
 */
export function socketUrl(location = globalThis.location) {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  return scheme + location.host + "/ws?v=" + PROTOCOL_VERSION;
}

/**
 * One WebSocket to the server for every room.
 *
 * Frames go out with {@link MessengerClient#send}; every frame that comes
 * in goes to `onFrame`, except an `error` answering a request made with
 * {@link MessengerClient#request}, which goes only to that request.
 * When the socket closes, requests still waiting fail, `onClose` decides,
 * and unless it says no the client connects again after
 * {@link reconnectDelay}; the attempts count from 0 again at `ready`. After
 * a reconnect, join your room again (with `since` and `rev`, see
 * {@link MessengerClient#join}) and, once its history is in, send the
 * pending messages again ({@link MessengerClient#resend}).
 *
 * @example
 * const client = new MessengerClient({
 *   onFrame(frame) {
 *     if (frame.type === "ready") client.join("general");
 *     if (frame.type === "message") console.log(frame.message.body);
 *     if (frame.type === "presence") for (const id of client.pending.keys()) client.resend(id);
 *   },
 * });
 * client.connect();
 * // Once connected:
 * client.post("general", "Hello!");
 */
export class MessengerClient {
  /** @type {WebSocket | null} */
  #ws = null;
  /** @type {Map<string, { onAnswer?: Function, onError?: Function }>} */
  #requests = new Map();
  #timer = null;
  #stopped = false;
  #WebSocket;

  /**
   * @param {object} [options]
   * @param {string} [options.url] The socket address; {@link socketUrl}() by
   *   default, worked out at each connect.
   * @param {(frame: ServerFrame) => void} [options.onFrame] Every frame
   *   from the server (but a request's `error`).
   * @param {(status: Status) => void} [options.onStatus] The connection's
   *   state, as it changes.
   * @param {(event: CloseEvent) => boolean | void} [options.onClose] The
   *   socket closed; answer `false` not to reconnect (a ban, a logout).
   * @param {typeof WebSocket} [options.WebSocket] The WebSocket class to use.
   */
  constructor(options = {}) {
    this.url = options.url || null;
    this.onFrame = options.onFrame || (() => {});
    this.onStatus = options.onStatus || (() => {});
    this.onClose = options.onClose || (() => true);
    this.#WebSocket = options.WebSocket || globalThis.WebSocket;
    /** How many sockets closed since the last `ready`. */
    this.attempt = 0;
    /** @type {User | null} The user of the last `ready`. */
    this.user = null;
    /**
     * Sends not answered yet, by client_id, in the order they were made.
     * One leaves when its message comes back (a `message` frame or a
     * `history` entry with its client_id, from this user); an `error` for
     * it leaves it here, to be sent again or deleted.
     * @type {Map<string, PendingSend>}
     */
    this.pending = new Map();
  }

  /** Whether the socket is open: {@link MessengerClient#send} sends now. */
  get connected() {
    return Boolean(this.#ws) && this.#ws.readyState === OPEN;
  }

  /** Opens a socket (and reconnects after it closes, see the class). */
  connect() {
    this.#stopped = false;
    this.onStatus({ state: this.attempt ? "reconnecting" : "connecting", attempt: this.attempt });
    const ws = new this.#WebSocket(this.url || socketUrl());
    this.#ws = ws;
    ws.addEventListener("message", (e) => {
      let frame;
      try {
        frame = JSON.parse(e.data);
      } catch {
        return;
      }
      this.#receive(frame);
    });
    ws.addEventListener("close", (e) => this.#closed(e));
  }

  /**
   * Connects at once, counting attempts from 0 again, unless a socket is
   * there already: for when the browser says it is back online.
   */
  reconnectNow() {
    if (!this.#ws && !this.#stopped) {
      // The scheduled attempt would open a second socket.
      clearTimeout(this.#timer);
      this.attempt = 0;
      this.connect();
    }
  }

  /**
   * Closes the socket and stops reconnecting (until the next
   * {@link MessengerClient#connect}).
   * @param {number} [code]
   * @param {string} [reason]
   */
  close(code, reason) {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (this.#ws) this.#ws.close(code, reason);
  }

  /**
   * Sends a frame if the socket is open.
   * @param {ClientFrame} frame
   * @returns {boolean} whether it went
   */
  send(frame) {
    if (this.connected) {
      this.#ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  /**
   * Sends a request with a new client_id; its answer (the frame with that
   * client_id) goes to `onAnswer` and then, like any frame, to `onFrame`;
   * an `error` goes only to `onError`, with its message. Not connected, or
   * the socket closing first, is an error too ("Not connected. Try again in
   * a moment.", "Connection lost. Try again.").
   * @param {ClientFrame} frame
   * @param {(answer: ServerFrame) => void} [onAnswer]
   * @param {(message: string) => void} [onError]
   * @returns {string} the request's client_id
   */
  request(frame, onAnswer, onError) {
    const clientId = newClientId();
    this.#requests.set(clientId, { onAnswer: onAnswer, onError: onError });
    if (!this.send(Object.assign({ client_id: clientId }, frame))) {
      this.#requests.delete(clientId);
      if (onError) onError("Not connected. Try again in a moment.");
    }
    return clientId;
  }

  /**
   * {@link MessengerClient#request} as a promise: the answer, or an Error
   * with the error's message.
   * @param {ClientFrame} frame
   * @returns {Promise<ServerFrame>}
   */
  call(frame) {
    return new Promise((resolve, reject) => {
      this.request(frame, resolve, (message) => reject(new Error(message)));
    });
  }

  /**
   * Joins a room: its history, presence and live frames follow. Coming
   * back after a drop, pass the newest id you have as `since` (and the
   * room's change number from its last `synced` as `rev`) to get what was
   * missed and the edits and deletes of what you have.
   * @param {string} room
   * @param {{ since?: number, rev?: number | null }} [from]
   * @returns {boolean} whether it went
   */
  join(room, from = {}) {
    const frame = { type: "join", room: room };
    if (from.since) {
      frame.since = from.since;
      if (from.rev !== null && from.rev !== undefined) frame.rev = from.rev;
    }
    return this.send(frame);
  }

  /**
   * Sends a message, kept in {@link MessengerClient#pending} until it comes
   * back stored. Sent while offline, it waits there: send it with
   * {@link MessengerClient#resend} once the room is joined again.
   * @param {string} room
   * @param {string} body
   * @param {{ clientId?: string, replyTo?: number, data?: * }} [options] A
   *   client_id of your own (a new one by default), the id of the message of
   *   the same room it answers (none by default; gone or deleted, the send
   *   is answered with `error` `not_found`), and anything to keep with the
   *   send.
   * @returns {string} the client_id
   */
  post(room, body, options = {}) {
    const clientId = options.clientId || newClientId();
    const p = { room: room, body: body, data: options.data };
    if (options.replyTo) p.replyTo = options.replyTo;
    this.pending.set(clientId, p);
    this.resend(clientId);
    return clientId;
  }

  /**
   * Sends a pending message again, with its client_id: the server stores
   * it at most once.
   * @param {string} clientId
   * @returns {boolean} whether it went (false if it is not pending)
   */
  resend(clientId) {
    const p = this.pending.get(clientId);
    if (!p) return false;
    const frame = { type: "send", room: p.room, body: p.body, client_id: clientId };
    // Again as a reply: the same send, not a plain message.
    if (p.replyTo) frame.reply_to = p.replyTo;
    return this.send(frame);
  }

  #receive(frame) {
    if (frame.client_id && this.#requests.has(frame.client_id)) {
      const r = this.#requests.get(frame.client_id);
      this.#requests.delete(frame.client_id);
      if (frame.type === "error") {
        if (r.onError) r.onError(frame.message);
        return;
      }
      if (r.onAnswer) r.onAnswer(frame);
    }
    if (frame.type === "ready") {
      this.attempt = 0;
      this.user = frame.user || null;
      this.onStatus({ state: "online", attempt: 0 });
    }
    this.onFrame(frame);
    // What came back stored is no longer pending.
    if (frame.type === "message") this.#settle(frame.message);
    if (frame.type === "history") for (const m of frame.messages || []) this.#settle(m);
  }

  #settle(message) {
    if (!message || !this.pending.has(message.client_id)) return;
    if (this.user && message.author && message.author.id !== this.user.id) return;
    this.pending.delete(message.client_id);
  }

  #closed(event) {
    this.#ws = null;
    for (const [id, r] of this.#requests) {
      this.#requests.delete(id);
      if (r.onError) r.onError("Connection lost. Try again.");
    }
    if (this.onClose(event) === false || this.#stopped) return;
    this.attempt += 1;
    const delay = reconnectDelay(this.attempt);
    this.onStatus({ state: "offline", attempt: this.attempt, delay: delay });
    this.#timer = setTimeout(() => this.connect(), delay);
  }
}
