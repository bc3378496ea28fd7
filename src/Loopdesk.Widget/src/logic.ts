// The widget's rules, free of the DOM and the network so that they can be tested on their own.
import type { Accepted, Ack, ChatMessage, ChatState, Invitation, QueueUpdate } from "./protocol";

/** A message as the visitor sees it: a server message, or one of theirs the server has not acknowledged yet. */
export interface ShownMessage extends ChatMessage {
  /** "sending" until the server's ack; "waiting" when it could not go out and will be sent again on reconnect. */
  state?: "sending" | "waiting";
}

/** A message the visitor sent whose ack has not arrived; kept in localStorage so a reload does not lose it. */
export interface Pending {
  clientMessageId: string;
  body: string;
  at: string;
}

function sameMessage(a: ChatMessage, b: ChatMessage): boolean {
  return (!!a.id && a.id === b.id) || (!!a.clientMessageId && a.clientMessageId === b.clientMessageId);
}

/**
 * Merges what the server says into what is shown: a message already shown (same id, or same clientMessageId for one of
 * the visitor's) is replaced, never added twice. Acknowledged messages are in server order (sentAt); the visitor's
 * unacknowledged ones stay at the end in the order they were written.
 */
export function mergeMessages(shown: readonly ShownMessage[], incoming: readonly ChatMessage[]): ShownMessage[] {
  const result: ShownMessage[] = [...shown];
  for (const message of incoming) {
    const at = result.findIndex((m) => sameMessage(m, message));
    const merged: ShownMessage = { ...message };
    if (at >= 0) result[at] = merged;
    else result.push(merged);
  }
  return order(result);
}

function order(messages: ShownMessage[]): ShownMessage[] {
  const confirmed = messages.filter((m) => !m.state);
  const unconfirmed = messages.filter((m) => m.state);
  // a stable sort keeps the server's order for messages of the same instant
  confirmed.sort((a, b) => Date.parse(a.sentAt) - Date.parse(b.sentAt));
  return [...confirmed, ...unconfirmed];
}

/** The visitor's own message, shown at once while it is on its way. */
export function localMessage(pending: Pending, state: "sending" | "waiting" = "sending"): ShownMessage {
  return { id: "", clientMessageId: pending.clientMessageId, from: "visitor", author: null, body: pending.body, sentAt: pending.at, state };
}

/** The shown list once the server acknowledged one of the visitor's messages. */
export function acknowledge(shown: readonly ShownMessage[], ack: Ack): ShownMessage[] {
  const mine = shown.find((m) => m.clientMessageId === ack.clientMessageId);
  if (!mine) return [...shown];
  return mergeMessages(shown, [{ ...mine, state: undefined, id: ack.id, sentAt: ack.sentAt } as ChatMessage]);
}

/** Marks the visitor's unacknowledged messages as waiting for the connection (or as sending again). */
export function markUnsent(shown: readonly ShownMessage[], state: "sending" | "waiting"): ShownMessage[] {
  return shown.map((m) => (m.state ? { ...m, state } : m));
}

export function withoutMessage(shown: readonly ShownMessage[], clientMessageId: string): ShownMessage[] {
  return shown.filter((m) => !(m.state && m.clientMessageId === clientMessageId));
}

/** The pending list after one message was acknowledged (or refused for good). */
export function settle(pending: readonly Pending[], clientMessageId: string): Pending[] {
  return pending.filter((p) => p.clientMessageId !== clientMessageId);
}

/**
 * Splits the pending list against the server's transcript after a reconnect or reload: a message the transcript already
 * holds was received (its ack was lost) and is settled; the rest must be sent again with the same clientMessageId.
 */
export function resendable(pending: readonly Pending[], transcript: readonly ChatMessage[]): { resend: Pending[]; received: string[] } {
  const known = new Set(transcript.map((m) => m.clientMessageId).filter((id): id is string => !!id));
  return {
    resend: pending.filter((p) => !known.has(p.clientMessageId)),
    received: pending.filter((p) => known.has(p.clientMessageId)).map((p) => p.clientMessageId),
  };
}

/** A new clientMessageId: crypto.randomUUID where the browser has it (secure contexts), else a v4 UUID made by hand. */
export function newClientMessageId(random: Crypto | undefined = globalThis.crypto): string {
  if (random && typeof random.randomUUID === "function") {
    try {
      return random.randomUUID();
    } catch {
      // randomUUID exists but refuses outside a secure context in some browsers
    }
  }
  const bytes = new Uint8Array(16);
  if (random && typeof random.getRandomValues === "function") random.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Whether a path matches an invitation's glob: "*" is any run of characters within one path segment, "**" any run
 * across segments, "?" one character. The whole path must match ("/pricing" matches "/pricing", not "/pricing/eu").
 */
export function globMatches(pattern: string, path: string): boolean {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*" && pattern[i + 1] === "*") {
      source += ".*";
      i++;
    } else if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`).test(path);
}

export interface Visit {
  path: string;
  returning: boolean;
  dismissed: readonly string[];
}

/** The invitations that may still be shown on this page to this visitor, soonest first. */
export function eligibleInvitations(invitations: readonly Invitation[], visit: Visit): Invitation[] {
  return invitations
    .filter((i) => !visit.dismissed.includes(i.id))
    .filter((i) => !i.returningOnly || visit.returning)
    .filter((i) => !i.urlPattern || globMatches(i.urlPattern, visit.path))
    .sort((a, b) => a.afterSeconds - b.afterSeconds);
}

/** The invitation due after so many seconds on the page, if any. */
export function dueInvitation(invitations: readonly Invitation[], visit: Visit, secondsOnPage: number): Invitation | null {
  return eligibleInvitations(invitations, visit).find((i) => i.afterSeconds <= secondsOnPage) ?? null;
}

/** A hub error sent as "code: human text" (from a HubException), or null for anything else (a lost connection). */
export function hubError(error: unknown): { code: string; text: string } | null {
  const message = error instanceof Error ? error.message : typeof error === "string" ? error : "";
  const found = /(?:^|HubException: |\s)([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+): ([\s\S]+)$/.exec(message);
  return found ? { code: found[1]!, text: found[2]!.trim() } : null;
}

/** Text over the site's colour: the configured one when it reaches WCAG AA (4.5:1), else black or white, whichever reads. */
export function readableText(background: string, preferred: string): string {
  const bg = luminance(background);
  const fg = luminance(preferred);
  if (bg === null) return preferred;
  if (fg !== null && contrast(bg, fg) >= 4.5) return preferred;
  return contrast(bg, 0) >= contrast(bg, 1) ? "#000000" : "#ffffff";
}

export function contrast(a: number, b: number): number {
  const [hi, lo] = a > b ? [a, b] : [b, a];
  return (hi + 0.05) / (lo + 0.05);
}

/** Relative luminance of a #rgb or #rrggbb colour, or null for another notation. */
export function luminance(colour: string): number | null {
  let hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(colour.trim())?.[1];
  if (!hex) return null;
  if (hex.length === 3) hex = hex.replace(/./g, "$&$&");
  const [r, g, b] = [0, 2, 4].map((i) => {
    const c = parseInt(hex!.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

/** Whether the character counter shows: from 80% of the limit on. */
export function counterShown(length: number, max: number): boolean {
  return max > 0 && length >= max * 0.8;
}

// --- the chat's state --------------------------------------------------------------------------------------------

/**
 * The visitor's place in the queue, unless it was worked out before a change the widget already knows of: the server
 * tells the queue in passes that read the chat a moment earlier, so a pass can arrive after an agent took the chat.
 * A chat passed back to a team is queued again at a newer version, and is told so.
 */
export function withQueue(chat: ChatState, update: QueueUpdate): ChatState {
  if (chat.status === "ended" || update.version < chat.version) return chat;
  return {
    ...chat, status: "queued", position: update.position, expectedWaitSeconds: update.expectedWaitSeconds,
    longerThanUsual: update.longerThanUsual, version: update.version,
  };
}

/** An agent took the chat, unless the chat has moved on since (passed back to a team, or ended). */
export function withAccepted(chat: ChatState, accepted: Accepted): ChatState {
  if (chat.status === "ended" || accepted.version < chat.version) return chat;
  return { ...chat, status: "active", agent: accepted.agent, version: accepted.version };
}

/**
 * The server's whole state of the chat (after a reload or a reconnect), unless a push of a later version of the same
 * chat came in while it was on its way: then the transcript is taken from it and the status kept.
 */
export function withState(chat: ChatState | null, state: ChatState): ChatState {
  if (!chat || chat.chatId !== state.chatId || state.version >= chat.version) return state;
  return { ...chat, email: state.email ?? chat.email, messages: state.messages };
}
