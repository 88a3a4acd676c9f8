// The chat page's shared state, in one place: who is signed in, the page's
// elements, the room on screen and how much of it is shown, and the user's
// rooms. The other modules read and change it here; none keeps state of
// its own.

/** The signed-in user: id and username from the page, `role` from `ready`. */
export const me = { id: 0, username: "" };

/**
 * The page's elements, found once by id. The room sidebar, the dialogs and
 * the notification toggle exist in the full page only (null otherwise):
 * plain templates without them still chat in the room of the page.
 */
export const dom = {};

export const state = {
  /** The MessengerClient (protocol.js) of the page. */
  client: null,
  /** The room on screen, as in /chat/{room}. */
  room: "",
  historyLimit: 50,
  /** Whether the socket has joined `room`. */
  joined: false,
  /**
   * Between a join and its `synced`: the `changed` frames then are the
   * join's catch-up, read for this user (their reactions' `me` is theirs),
   * not the room's live stream (where `me` is never set).
   */
  syncing: false,
  lastTypingSent: 0,
  // The view of the current room.
  /** The newest id shown: the `since` of a reconnect. */
  lastId: 0,
  /** The oldest id shown: the `before` of "load older". */
  oldestId: 0,
  hasOlder: false,
  loadingOlder: false,
  initialLoad: true,
  /** The room's change number seen (from `synced`). */
  roomRev: null,
  /** Showing a page around a message, not the newest. */
  windowed: false,
  /** A message to open once the room has joined. */
  pendingAround: 0,
  /**
   * The message the composer answers (a `reply_to` as messages carry it),
   * or null. Not kept across rooms or reloads: a draft is, a reply is not.
   */
  replyTo: null,
  /** The server ended this session for good (a ban). */
  ended: false,
  /** The search's cursor for its next (older) page. */
  searchNext: null,
  /**
   * Whether `pins` holds the room's pinned messages (a `pins` answer came
   * for this room); until then the header shows no count.
   */
  pinsKnown: false,
  /** The latest `pins` request: older answers are stale. */
  pinsRequest: "",
};

/** The messages shown: id -> element. */
export const shown = new Map();
/** Who is online in the room: user id -> user. */
export const online = new Map();
/** Who is typing: user id -> { user, timer }. */
export const typers = new Map();
/** Every room of the user: name -> room info with unread state. */
export const rooms = new Map();
/** The room's pinned messages: id -> message (see dialogs.js, "Pins"). */
export const pins = new Map();
/**
 * The `changed` frames of the room since the latest `pins` request: id ->
 * the message as the newest of them has it, laid over that request's
 * answer (which may be older than they are).
 */
export const pinChanges = new Map();

/** Reads the page's data attributes and finds its elements. */
export function initState(root) {
  const $ = (id) => document.getElementById(id);
  me.id = Number(root.dataset.userId);
  me.username = root.dataset.username;
  state.room = root.dataset.room;
  state.historyLimit = Number(root.dataset.historyLimit) || 50;
  Object.assign(dom, {
    root: root,
    list: $("message-list"),
    scroller: $("messages"),
    olderButton: $("load-older"),
    onlineList: $("online-list"),
    onlineCount: $("online-count"),
    typingLine: $("typing"),
    connection: $("connection"),
    errorLine: $("chat-error"),
    composer: $("composer"),
    input: $("message-input"),
    roomLists: {
      public: $("rooms-public"),
      private: $("rooms-private"),
      direct: $("rooms-direct"),
    },
    roomTitle: $("room-title"),
    roomTopic: $("room-topic"),
    leaveButton: $("leave-room"),
    membersButton: $("members-button"),
    manageButton: $("manage-button"),
    pinsButton: $("pins-button"),
    notifyToggle: $("notify-toggle"),
    jumpButton: $("jump-latest"),
    /** Built by messages.js, in the composer: "Replying to …". */
    replyBar: null,
    announcer: null,
  });
}

export function isModerator() {
  return me.role === "moderator" || me.role === "admin";
}
