// The widget's screen: DOM built with textContent only (never innerHTML with data), inside the widget's shadow root.
// The Panel knows nothing of the network; the controller (widget.ts) tells it what to show.
import { counterShown, readableText, type ShownMessage } from "./logic";
import type { Invitation, OfflineReceipt, SiteConfig } from "./protocol";
import { waitInWords, type Translate } from "./text";
import { css } from "./style";

export interface FormValues {
  name: string;
  email: string;
  question: string;
}

export interface Status {
  kind: "queued" | "active" | "reconnecting";
  position?: number | null;
  expectedWaitSeconds?: number | null;
  longerThanUsual?: boolean;
  agent?: string | null;
}

export interface Handlers {
  toggle(): void;
  acceptInvitation(invitation: Invitation): void;
  dismissInvitation(invitation: Invitation): void;
  start(values: FormValues): void;
  leaveMessage(values: FormValues): void;
  send(body: string): void;
  typing(): void;
  leave(): void;
  emailTranscript(email: string | null): void;
  newChat(): void;
}

type Attrs = Record<string, string | boolean | null | undefined>;

/** An element with attributes and children; text children become text nodes (never parsed as HTML). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string | null | false)[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === true) element.setAttribute(name, "");
    else if (typeof value === "string") element.setAttribute(name, value);
  }
  for (const child of children) if (child !== null && child !== false) element.append(child);
  return element;
}

const icon = (path: string) => {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const p = document.createElementNS(svg.namespaceURI, "path");
  p.setAttribute("d", path);
  svg.append(p);
  return svg;
};
const chatIcon = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z";
const closeIcon = "M6 6l12 12M18 6L6 18";
const minimizeIcon = "M5 12h14";
const sendIcon = "M3 20l18-8L3 4v6l12 2-12 2z";

export class Panel {
  readonly host: HTMLElement;
  readonly launcher: HTMLButtonElement;
  readonly dialog: HTMLElement;
  private readonly root: ShadowRoot;
  private readonly badge: HTMLElement;
  private readonly invite: HTMLElement;
  private readonly subtitle: HTMLElement;
  private readonly leaveButton: HTMLButtonElement;
  private readonly body: HTMLElement;
  private readonly time: Intl.DateTimeFormat;
  private conversation: {
    status: HTMLElement;
    log: HTMLElement;
    typing: HTMLElement;
    foot: HTMLElement;
    composer?: { input: HTMLTextAreaElement; counter: HTMLElement; error: HTMLElement };
    items: Map<string, HTMLElement>;
  } | null = null;
  private unread = 0;

  constructor(
    private readonly t: Translate,
    private readonly config: SiteConfig,
    private readonly on: Handlers,
    language: string,
    host?: HTMLElement,
  ) {
    // an element of our own name, reset inline: the page's rules for div or body cannot style it, and what it would
    // inherit (letter-spacing, text-transform...) is set again inside
    this.host = host ?? (document.createElement("loopdesk-chat") as HTMLElement);
    this.host.style.cssText = "all:initial";
    this.root = this.host.attachShadow({ mode: "open" });
    this.time = new Intl.DateTimeFormat(language, { hour: "numeric", minute: "2-digit" });
    // a constructed style sheet where the browser has them: a page's Content-Security-Policy without 'unsafe-inline' for
    // styles allows it, where it would block a <style> element
    const rules = css(config.colour, readableText(config.colour, config.textColour));
    let style: HTMLStyleElement | null = null;
    if ("adoptedStyleSheets" in this.root && "replaceSync" in CSSStyleSheet.prototype) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(rules);
      this.root.adoptedStyleSheets = [sheet];
    } else {
      style = h("style");
      style.textContent = rules;
    }
    const title = t("chatTitle", { site: config.name });

    this.badge = h("span", { class: "badge", hidden: true, "aria-hidden": "true" });
    this.launcher = h("button", { type: "button", class: "launcher", "aria-expanded": "false", "aria-label": t("open") }, icon(chatIcon), this.badge);
    this.launcher.addEventListener("click", () => this.on.toggle());
    this.invite = h("div", { class: "invite", role: "region", "aria-label": t("invitationLabel", { site: config.name }), hidden: true });

    const minimize = h("button", { type: "button", class: "icon", "aria-label": t("close"), title: t("close") }, icon(minimizeIcon));
    minimize.addEventListener("click", () => this.on.toggle());
    this.leaveButton = h("button", { type: "button", class: "link leave", hidden: true }, t("leave"));
    this.leaveButton.addEventListener("click", () => this.on.leave());
    this.subtitle = h("p", { class: "sub" });
    this.body = h("div", { class: "body" });
    this.dialog = h("section", { class: "panel", role: "dialog", "aria-label": title, hidden: true },
      h("header", {}, h("div", { class: "title" }, h("h2", {}, config.name), this.subtitle), this.leaveButton, minimize),
      this.body);
    this.dialog.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.stopPropagation();
        this.on.toggle();
      }
    });

    const frame = h("div", { class: `ld ${config.position === "left" ? "left" : "right"}`, lang: language }, this.invite, this.dialog, this.launcher);
    this.root.append(...(style ? [style] : []), frame);
  }

  get unreadCount(): number {
    return this.unread;
  }

  get isOpen(): boolean {
    return !this.dialog.hidden;
  }

  /** Opens or closes the panel; focus goes into it on open and back to the launcher on close (when asked to move it). */
  setOpen(open: boolean, moveFocus = true): void {
    this.dialog.hidden = !open;
    this.launcher.setAttribute("aria-expanded", String(open));
    this.launcher.classList.toggle("is-open", open);
    this.launcher.replaceChildren(icon(open ? closeIcon : chatIcon), this.badge);
    if (open) {
      this.showInvitation(null);
      this.setUnread(0);
      // a log filled while hidden had no height to scroll: show its end now
      if (this.conversation) this.conversation.log.scrollTop = this.conversation.log.scrollHeight;
      if (moveFocus) this.focusFirst();
    } else if (moveFocus) {
      this.launcher.focus();
    }
    this.launcher.setAttribute("aria-label", open ? this.t("close") : this.unread ? this.t("openUnread", { n: this.unread }) : this.t("open"));
  }

  setUnread(count: number): void {
    this.unread = count;
    this.badge.hidden = count === 0;
    this.badge.textContent = count > 9 ? "9+" : String(count);
    if (!this.isOpen) this.launcher.setAttribute("aria-label", count ? this.t("openUnread", { n: count }) : this.t("open"));
  }

  private focusFirst(): void {
    const target = this.body.querySelector<HTMLElement>("input, textarea:not([disabled]), button:not([hidden])") ?? this.dialog.querySelector<HTMLElement>("button");
    target?.focus();
  }

  showInvitation(invitation: Invitation | null): void {
    this.invite.hidden = !invitation;
    if (!invitation) {
      this.invite.replaceChildren();
      return;
    }
    const accept = h("button", { type: "button", class: "primary" }, this.t("invitationOpen"));
    accept.addEventListener("click", () => this.on.acceptInvitation(invitation));
    const dismiss = h("button", { type: "button", class: "icon dismiss", "aria-label": this.t("dismiss"), title: this.t("dismiss") }, icon(closeIcon));
    dismiss.addEventListener("click", () => {
      this.on.dismissInvitation(invitation);
      this.launcher.focus();
    });
    this.invite.replaceChildren(dismiss, h("p", {}, invitation.message), accept);
  }

  /** The pre-chat form ("chat") or, when nobody is online, the leave-us-a-message form ("offline"). */
  showForm(mode: "chat" | "offline", values: Partial<FormValues> = {}): void {
    this.conversation = null;
    this.leaveButton.hidden = true;
    const c = this.config;
    const offline = mode === "offline";
    this.subtitle.textContent = offline ? this.t("offlineTitle") : "";
    const askName = c.askName || offline;
    const askEmail = c.askEmail || c.requireEmail || offline;
    const emailRequired = c.requireEmail || offline;
    const field = (id: string, label: string, control: HTMLInputElement | HTMLTextAreaElement, hint?: string) => {
      control.id = id;
      if (hint) control.setAttribute("aria-describedby", `${id}-hint`);
      return h("div", { class: "field" }, h("label", { for: id }, label), control, hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null);
    };
    const name = h("input", { type: "text", name: "name", autocomplete: "name", maxlength: "200" });
    name.value = values.name ?? "";
    const email = h("input", { type: "email", name: "email", autocomplete: "email", maxlength: "320", required: emailRequired });
    email.value = values.email ?? "";
    const question = h("textarea", { name: "question", rows: "4", required: true, maxlength: String(c.maxMessageLength || 2000) });
    question.value = values.question ?? "";
    const error = h("p", { class: "error", role: "alert" });
    const intro = offline
      ? [h("p", { class: "intro" }, this.t("offlineIntro")), c.nextOpening ? h("p", { class: "intro" }, this.t("backAt", { when: this.when(c.nextOpening) })) : null]
      : [c.greeting ? h("p", { class: "intro" }, c.greeting) : null];
    const form = h("form", { class: "form", novalidate: true },
      ...intro,
      askName ? field("ld-name", offline ? this.t("name") : this.t("nameOptional"), name) : null,
      askEmail ? field("ld-email", emailRequired ? this.t("email") : this.t("emailOptional"), email, offline ? this.t("emailWhyOffline") : this.t("emailWhy")) : null,
      field("ld-question", this.t("question"), question),
      error,
      h("button", { type: "submit", class: "primary wide" }, offline ? this.t("sendMessage") : this.t("start")));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const missing = [emailRequired && !email.value.trim() ? [email, this.t("email")] : null, !question.value.trim() ? [question, this.t("question")] : null]
        .find((m) => m) as [HTMLElement, string] | undefined;
      const badEmail = askEmail && email.value.trim() && !email.checkValidity();
      if (missing || badEmail) {
        const [control, label] = missing ?? [email, ""];
        error.textContent = missing ? this.t("required", { field: label }) : this.t("emailInvalid");
        control.setAttribute("aria-invalid", "true");
        control.focus();
        return;
      }
      error.textContent = "";
      const submitted = { name: askName ? name.value.trim() : "", email: askEmail ? email.value.trim() : "", question: question.value.trim() };
      if (offline) this.on.leaveMessage(submitted);
      else this.on.start(submitted);
    });
    this.body.replaceChildren(form);
  }

  /** Shows a refusal or failure under the form (keeping what was typed) and lets it be sent again. */
  setFormError(text: string | null): void {
    const error = this.body.querySelector(".form .error");
    if (error) error.textContent = text ?? "";
    this.setBusy(false);
  }

  setBusy(busy: boolean): void {
    for (const button of this.body.querySelectorAll<HTMLButtonElement>("button[type=submit]")) button.disabled = busy;
  }

  /** The conversation: status line, message log, typing line, and the composer (or, once ended, what comes next). */
  showConversation(): void {
    if (this.conversation) return;
    const status = h("p", { class: "status", role: "status" });
    const log = h("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": this.t("chatTitle", { site: this.config.name }), tabindex: "0" });
    const typing = h("p", { class: "typing", "aria-hidden": "true" });
    const foot = h("div", { class: "foot" });
    this.conversation = { status, log, typing, foot, items: new Map() };
    // a log read to its end stays at its end when the box under it grows (an error, a note, the end of the chat)
    let atEnd = true;
    log.addEventListener("scroll", () => (atEnd = log.scrollHeight - log.scrollTop - log.clientHeight < 40));
    if (typeof ResizeObserver === "function") new ResizeObserver(() => atEnd && (log.scrollTop = log.scrollHeight)).observe(log);
    this.leaveButton.hidden = false;
    this.subtitle.textContent = "";
    this.body.replaceChildren(status, log, typing, foot);
    this.showComposer();
  }

  private showComposer(): void {
    const conv = this.conversation!;
    const max = this.config.maxMessageLength || 2000;
    const input = h("textarea", { id: "ld-message", rows: "2", maxlength: String(max), "aria-describedby": "ld-counter ld-error", enterkeyhint: "send" });
    const counter = h("p", { class: "counter", id: "ld-counter", hidden: true });
    const error = h("p", { class: "error", id: "ld-error", role: "alert" });
    const send = h("button", { type: "submit", class: "send", "aria-label": this.t("send"), title: this.t("send") }, icon(sendIcon));
    const form = h("form", { class: "composer" },
      h("label", { for: "ld-message", class: "sr" }, this.t("message")),
      h("div", { class: "row" }, input, send),
      counter, error);
    const update = () => {
      counter.hidden = !counterShown(input.value.length, max);
      counter.textContent = this.t("charactersLeft", { n: Math.max(0, max - input.value.length) });
    };
    const submit = () => {
      const body = input.value.trim();
      if (!body) return;
      error.textContent = "";
      input.value = "";
      update();
      this.on.send(body);
    };
    input.addEventListener("input", () => {
      update();
      if (input.value) this.on.typing();
    });
    input.addEventListener("keydown", (e) => {
      // Enter sends, Shift+Enter is a new line; a composing IME keeps its Enter
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        submit();
      }
    });
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      submit();
    });
    conv.composer = { input, counter, error };
    conv.foot.replaceChildren(form);
  }

  /** A refused message: its text goes back into the box (unless something new was typed) with the reason beside it. */
  setComposerError(text: string | null, draft?: string): void {
    const composer = this.conversation?.composer;
    if (!composer) return;
    composer.error.textContent = text ?? "";
    if (draft !== undefined && !composer.input.value) {
      composer.input.value = draft;
      composer.input.dispatchEvent(new Event("input"));
    }
    if (text) composer.input.focus();
  }

  setStatus(status: Status | null): void {
    const conv = this.conversation;
    if (!conv) return;
    const t = this.t;
    const lines: string[] = [];
    if (status?.kind === "queued") {
      if (status.position === 1) lines.push(t("queuedNext"));
      else if (status.position) lines.push(t("queued", { n: status.position }));
      else lines.push(t("waiting"));
      if (status.expectedWaitSeconds != null) lines.push(t("wait", { wait: waitInWords(t, status.expectedWaitSeconds) }));
    } else if (status?.kind === "active") {
      lines.push(t("chattingWith", { agent: status.agent || t("someone") }));
    } else if (status?.kind === "reconnecting") {
      lines.push(t("reconnecting"));
    }
    conv.status.replaceChildren(lines.join(" "), status?.longerThanUsual && status.kind === "queued" ? h("span", { class: "longer" }, t("longer")) : "");
    conv.status.hidden = lines.length === 0;
    conv.status.classList.toggle("warn", status?.kind === "reconnecting");
  }

  setTyping(agent: string | null): void {
    if (this.conversation) this.conversation.typing.textContent = agent === null ? "" : this.t("typing", { agent: agent || this.t("someone") });
  }

  /** Brings the log in line with the list: existing entries are updated in place, so a screen reader hears only what is new. */
  setMessages(messages: readonly ShownMessage[]): void {
    const conv = this.conversation;
    if (!conv) return;
    const log = conv.log;
    const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    const keep = new Set<string>();
    let previous: Element | null = null;
    for (const message of messages) {
      const key = message.clientMessageId || message.id;
      keep.add(key);
      let item = conv.items.get(key);
      const fresh = this.message(message);
      if (!item) {
        item = fresh;
        conv.items.set(key, item);
      } else if (item.dataset.state !== fresh.dataset.state || item.dataset.body !== fresh.dataset.body) {
        item.replaceChildren(...fresh.childNodes);
        item.className = fresh.className;
        item.dataset.state = fresh.dataset.state ?? "";
        item.dataset.body = fresh.dataset.body ?? "";
        item.dataset.id = message.id;
      }
      const expected: Element | null = previous ? previous.nextElementSibling : log.firstElementChild;
      if (expected !== item) {
        if (previous) previous.after(item);
        else log.prepend(item);
      }
      previous = item;
    }
    for (const [key, item] of conv.items) {
      if (!keep.has(key)) {
        item.remove();
        conv.items.delete(key);
      }
    }
    if (nearBottom || messages.at(-1)?.from === "visitor") log.scrollTop = log.scrollHeight;
  }

  private message(m: ShownMessage): HTMLElement {
    const who = m.from === "visitor" ? this.t("you") : m.from === "agent" ? m.author || this.t("someone") : "";
    const meta = m.state === "sending" ? this.t("sending")
      : m.state === "waiting" ? this.t("unsent")
      : m.from === "system" ? ""
      : [m.from === "agent" ? who : "", this.clock(m.sentAt)].filter(Boolean).join(" · ");
    const item = h("div", { class: `msg ${m.from}${m.state ? " " + m.state : ""}`, "data-id": m.id, "data-state": m.state ?? "" },
      who ? h("span", { class: "sr" }, `${who}: `) : null,
      h("p", { class: "bubble" }, m.body),
      h("p", { class: "meta" }, meta));
    item.dataset.body = m.body;
    if (m.clientMessageId) item.dataset.clientMessageId = m.clientMessageId;
    return item;
  }

  /** The chat has ended: its closing message, the transcript by email, and a new chat. */
  showEnded(message: string | null, email: string | null): void {
    this.showConversation();
    const conv = this.conversation!;
    conv.composer = undefined;
    this.leaveButton.hidden = true;
    this.setStatus(null);
    this.setTyping(null);
    const note = h("p", { class: "note", role: "status" });
    const address = h("input", { type: "email", id: "ld-transcript", autocomplete: "email", maxlength: "320" });
    const transcript = h("form", { class: "transcript" },
      email ? null : h("label", { for: "ld-transcript" }, this.t("transcriptTo")),
      email ? null : address,
      h("button", { type: "submit", class: "secondary" }, this.t("emailTranscript")),
      note);
    transcript.addEventListener("submit", (e) => {
      e.preventDefault();
      if (!email && (!address.value.trim() || !address.checkValidity())) {
        note.textContent = address.value.trim() ? this.t("emailInvalid") : this.t("required", { field: this.t("email") });
        address.focus();
        return;
      }
      this.on.emailTranscript(email ? null : address.value.trim());
    });
    const again = h("button", { type: "button", class: "primary wide" }, this.t("newChat"));
    again.addEventListener("click", () => this.on.newChat());
    conv.foot.replaceChildren(h("div", { class: "ended" }, h("p", { class: "closing" }, message || this.t("ended")), transcript, again));
    // the box below the log is taller than the composer was: keep the last lines (the closing words) in view
    conv.log.scrollTop = conv.log.scrollHeight;
    if (this.isOpen) again.focus();
  }

  setTranscriptResult(sent: boolean): void {
    const note = this.body.querySelector(".transcript .note");
    if (note) note.textContent = sent ? this.t("transcriptSent") : this.t("transcriptNotSent");
  }

  /** After a message was left while offline: the reference and the acknowledgement the server wrote. */
  showOfflineDone(receipt: OfflineReceipt): void {
    this.conversation = null;
    const heading = h("h3", { tabindex: "-1" }, this.t("sent"));
    this.body.replaceChildren(h("div", { class: "done", role: "status" }, heading, h("p", { class: "ack" }, receipt.acknowledgement), h("p", { class: "ref" }, this.t("reference", { ref: receipt.reference }))));
    if (this.isOpen) heading.focus();
  }

  private clock(iso: string): string {
    const at = new Date(iso);
    return isNaN(at.getTime()) ? "" : this.time.format(at);
  }

  private when(iso: string): string {
    const at = new Date(iso);
    if (isNaN(at.getTime())) return "";
    return new Intl.DateTimeFormat(this.time.resolvedOptions().locale, { weekday: "long", hour: "numeric", minute: "2-digit" }).format(at);
  }
}
