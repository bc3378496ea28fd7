// The controller: site config, visitor token, the SignalR connection to the visitor hub, and what the panel shows.
import { HubConnectionBuilder, HubConnectionState, LogLevel, type HubConnection } from "@microsoft/signalr";
import {
  acknowledge, eligibleInvitations, hubError, localMessage, markUnsent, mergeMessages, newClientMessageId, resendable, settle,
  withAccepted, withoutMessage, withQueue, withState, type Pending, type ShownMessage,
} from "./logic";
import type { Accepted, Ack, ChatMessage, ChatState, Ended, Invitation, OfflineReceipt, QueueUpdate, SiteConfig, Visitor } from "./protocol";
import { translator, type Translate } from "./text";
import { Panel, type FormValues } from "./view";

export interface Options {
  /** Origin of the script's own src: where the API and the hub are. */
  base: string;
  key: string;
  language: string;
  open: boolean;
}

/** localStorage that may be missing or refuse (private windows, sandboxed frames): the widget then forgets at reload. */
export class Store {
  constructor(private readonly prefix: string) {}

  get(name: string): string | null {
    try {
      return localStorage.getItem(this.prefix + name);
    } catch {
      return null;
    }
  }

  set(name: string, value: string | null): void {
    try {
      if (value === null) localStorage.removeItem(this.prefix + name);
      else localStorage.setItem(this.prefix + name, value);
    } catch {
      // storage full or refused: the chat goes on, only continuity after a reload is lost
    }
  }

  json<T>(name: string, fallback: T): T {
    try {
      return (JSON.parse(this.get(name) ?? "null") as T) ?? fallback;
    } catch {
      return fallback;
    }
  }
}

const typingEvery = 3000;
const typingIdle = 4000;
const agentTypingTimeout = 15000;
const returningAfter = 30 * 60 * 1000;

export class ChatWidget {
  private readonly t: Translate;
  private readonly store: Store;
  private readonly loadedAt = performance.now();
  private config!: SiteConfig;
  private panel!: Panel;
  private token: string | null;
  private visitorChecked = false;
  private returning = false;
  private connection: HubConnection | null = null;
  private connecting: Promise<HubConnection> | null = null;
  private chat: ChatState | null = null;
  private ended: Ended | null = null;
  private messages: ShownMessage[] = [];
  private pending: Pending[];
  private email: string | null = null;
  private typingSent = 0;
  private typingTimer = 0;
  private agentTypingTimer = 0;
  private invitationTimers: number[] = [];
  private toldPage: string | null = null;

  constructor(private readonly options: Options) {
    this.t = translator(options.language);
    this.store = new Store(`loopdesk.chat.${options.key}.`);
    this.token = this.store.get("token");
    this.pending = this.store.json<Pending[]>("pending", []);
  }

  private get live(): boolean {
    return !!this.chat && this.chat.status !== "ended";
  }

  async start(): Promise<void> {
    const config = await this.fetchJson<SiteConfig>(`/api/v1/chat/sites/${encodeURIComponent(this.options.key)}`);
    if (!config) return;
    this.config = config;
    this.panel = new Panel(this.t, config, {
      toggle: () => this.toggle(),
      acceptInvitation: (i) => this.acceptInvitation(i),
      dismissInvitation: (i) => this.dismissInvitation(i),
      start: (v) => void this.startChat(v),
      leaveMessage: (v) => void this.leaveMessage(v),
      send: (body) => this.send(body),
      typing: () => this.typing(),
      leave: () => void this.leave(),
      emailTranscript: (email) => void this.emailTranscript(email),
      newChat: () => void this.newChat(),
    }, this.options.language);
    document.body.append(this.panel.host);
    this.showForm();

    const seen = Number(this.store.get("seen") ?? 0);
    this.returning = !!this.token || (seen > 0 && Date.now() - seen > returningAfter);
    if (!seen) this.store.set("seen", String(Date.now()));
    addEventListener("online", () => void this.recover());
    this.watchNavigation();

    if (this.token) {
      // a visitor who chatted before: pick up a chat still going, with its transcript
      try {
        await this.connect();
        await this.resume();
      } catch {
        // the server is unreachable: the launcher still works, and opening it tries again
      }
      if (this.chat?.status === "ended") {
        // a chat that ended before this page: the visitor starts afresh
        this.chat = null;
        this.messages = [];
        this.showForm({ email: this.email ?? "" });
      }
      if (this.live) {
        this.panel.setOpen(true, false);
        return;
      }
      await this.disconnectUnlessLive();
    }
    if (this.options.open) this.panel.setOpen(true, false);
    this.scheduleInvitations();
  }

  private async fetchJson<T>(path: string, body?: unknown): Promise<T | null> {
    try {
      const response = await fetch(this.options.base + path, {
        method: body === undefined ? "GET" : "POST",
        credentials: "omit",
        headers: body === undefined ? { Accept: "application/json" } : { Accept: "application/json", "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!response.ok) {
        console.warn(`Loopdesk chat: ${path} answered ${response.status}; the chat stays hidden.`);
        return null;
      }
      return (await response.json()) as T;
    } catch (e) {
      console.warn("Loopdesk chat: the chat server could not be reached.", e);
      return null;
    }
  }

  private toggle(): void {
    const open = !this.panel.isOpen;
    this.panel.setOpen(open);
    if (open) this.clearInvitations();
  }

  private showForm(values: Partial<FormValues> = {}): void {
    this.panel.showForm(this.config.online ? "chat" : "offline", values);
  }

  // --- the connection -------------------------------------------------------------------------------------------

  private async ensureVisitor(): Promise<void> {
    if (this.visitorChecked && this.token) return;
    const visitor = await this.fetchJson<Visitor>(`/api/v1/chat/sites/${encodeURIComponent(this.options.key)}/visitors`, { token: this.token });
    if (!visitor) throw new Error("visitor");
    this.token = visitor.token;
    this.returning ||= visitor.returning;
    this.visitorChecked = true;
    this.store.set("token", visitor.token);
  }

  private connect(): Promise<HubConnection> {
    if (this.connection?.state === HubConnectionState.Connected) return Promise.resolve(this.connection);
    this.connecting ??= (async () => {
      await this.ensureVisitor();
      const connection = (this.connection ??= this.build());
      if (connection.state === HubConnectionState.Disconnected) await connection.start();
      return connection;
    })().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private build(): HubConnection {
    const connection = new HubConnectionBuilder()
      .withUrl(`${this.options.base}/hubs/chat/visitor`, { accessTokenFactory: () => this.token ?? "", withCredentials: false })
      // keep trying while the visitor waits, backing off to every 30 seconds
      .withAutomaticReconnect({ nextRetryDelayInMilliseconds: (r) => Math.min(30000, 1000 * 2 ** Math.min(r.previousRetryCount, 5)) })
      .configureLogging(LogLevel.Error)
      .build();
    connection.on("Message", (m: ChatMessage) => this.onMessage(m));
    connection.on("Queue", (q: QueueUpdate) => this.onQueue(q));
    connection.on("Accepted", (a: Accepted) => this.onAccepted(a));
    connection.on("Typing", (t: { typing: boolean }) => this.onAgentTyping(t.typing));
    connection.on("Ended", (e: Ended) => this.onEnded(e));
    connection.onreconnecting(() => {
      if (!this.live) return;
      this.panel.setStatus({ kind: "reconnecting" });
      this.messages = markUnsent(this.messages, "waiting");
      this.panel.setMessages(this.messages);
    });
    connection.onreconnected(() => void this.resume().catch(() => undefined));
    connection.onclose(() => {
      if (this.live) setTimeout(() => void this.recover(), 5000);
    });
    return connection;
  }

  /** After the connection gave up (or the browser came back online): connect again and catch up. */
  private async recover(): Promise<void> {
    if (!this.live || this.connection?.state === HubConnectionState.Connected) return;
    try {
      await this.connect();
      await this.resume();
    } catch {
      if (this.live) setTimeout(() => void this.recover(), 15000);
    }
  }

  private async disconnectUnlessLive(): Promise<void> {
    if (!this.live && this.connection) {
      const connection = this.connection;
      this.connection = null;
      await connection.stop().catch(() => undefined);
    }
  }

  /** Asks the server where the visitor's chat stands, merges its transcript and sends again what was not acknowledged. */
  private async resume(): Promise<void> {
    const connection = await this.connect();
    const state = await connection.invoke<ChatState | null>("Resume");
    if (!state) {
      const hadChat = this.chat !== null;
      this.chat = null;
      this.messages = [];
      this.savePending([]);
      if (hadChat) this.showForm();
      return;
    }
    this.apply(state);
    if (this.chat?.status === "ended") return;
    // a reload, a link to another page of the site, or a move made while the connection was down
    this.toldPage = null;
    this.navigated();
    const { resend, received } = resendable(this.pending, state.messages);
    let pending = this.pending;
    for (const id of received) pending = settle(pending, id);
    this.savePending(pending);
    for (const p of resend) {
      this.messages = mergeMessages(this.messages, [localMessage(p)]);
      this.panel.setMessages(this.messages);
      void this.deliver(p);
    }
  }

  private apply(state: ChatState): void {
    if (this.chat?.chatId !== state.chatId) this.messages = [];
    this.chat = withState(this.chat, state);
    this.email = state.email ?? this.email;
    this.messages = mergeMessages(this.messages, state.messages);
    this.clearInvitations();
    if (this.chat.status === "ended") {
      this.panel.showConversation();
      this.panel.setMessages(this.messages);
      this.panel.showEnded(this.ended?.message ?? null, this.email);
      return;
    }
    this.panel.showConversation();
    this.renderStatus();
    this.panel.setMessages(this.messages);
  }

  private renderStatus(): void {
    const c = this.chat;
    if (!c || c.status === "ended") return;
    this.panel.setStatus(c.status === "active"
      ? { kind: "active", agent: c.agent }
      : { kind: "queued", position: c.position, expectedWaitSeconds: c.expectedWaitSeconds, longerThanUsual: c.longerThanUsual });
  }

  // --- what the server says ------------------------------------------------------------------------------------

  private onMessage(message: ChatMessage): void {
    this.messages = mergeMessages(this.messages, [message]);
    if (message.clientMessageId) this.savePending(settle(this.pending, message.clientMessageId));
    if (message.from === "agent") {
      this.onAgentTyping(false);
      if (!this.panel.isOpen) this.panel.setUnread(this.panel.unreadCount + 1);
    }
    this.panel.setMessages(this.messages);
  }

  private onQueue(q: QueueUpdate): void {
    if (!this.chat) return;
    this.chat = withQueue(this.chat, q);
    this.renderStatus();
  }

  private onAccepted(accepted: Accepted): void {
    if (!this.chat) return;
    this.chat = withAccepted(this.chat, accepted);
    this.renderStatus();
  }

  private onAgentTyping(typing: boolean): void {
    clearTimeout(this.agentTypingTimer);
    this.panel.setTyping(typing ? this.chat?.agent ?? "" : null);
    if (typing) this.agentTypingTimer = window.setTimeout(() => this.panel.setTyping(null), agentTypingTimeout);
  }

  private onEnded(ended: Ended): void {
    this.ended = ended;
    if (this.chat) this.chat = { ...this.chat, status: "ended", version: Math.max(this.chat.version, ended.version) };
    clearTimeout(this.typingTimer);
    clearTimeout(this.agentTypingTimer);
    this.savePending([]);
    this.messages = this.messages.filter((m) => !m.state);
    this.panel.setMessages(this.messages);
    // the closing words may have come as the chat's last line already: said once is enough
    const said = this.messages.some((m) => m.from === "system" && m.body === ended.message);
    this.panel.showEnded(said ? null : ended.message, this.email);
  }

  // --- what the visitor does -----------------------------------------------------------------------------------

  private async startChat(values: FormValues): Promise<void> {
    this.panel.setBusy(true);
    try {
      const connection = await this.connect();
      const state = await connection.invoke<ChatState>("Start", {
        name: values.name || null, email: values.email || null, question: values.question, page: location.href, clientMessageId: newClientMessageId(),
        language: navigator.language || null,
      });
      this.toldPage = location.href;
      this.email = values.email || state.email;
      this.ended = null;
      this.apply(state);
      this.panel.setOpen(true);
    } catch (e) {
      const refused = hubError(e);
      // the connection dropped on the way: the chat may have started all the same
      if (!refused) await this.resume().catch(() => undefined);
      if (!this.live) this.panel.setFormError(refused?.text ?? this.t("failed"));
    }
  }

  private async leaveMessage(values: FormValues): Promise<void> {
    this.panel.setBusy(true);
    try {
      const connection = await this.connect();
      const receipt = await connection.invoke<OfflineReceipt>("Offline", {
        name: values.name || null, email: values.email || null, question: values.question, page: location.href,
      });
      this.panel.showOfflineDone(receipt);
      await this.disconnectUnlessLive();
    } catch (e) {
      this.panel.setFormError(hubError(e)?.text ?? this.t("failed"));
    }
  }

  private send(body: string): void {
    const p: Pending = { clientMessageId: newClientMessageId(), body, at: new Date().toISOString() };
    this.savePending([...this.pending, p]);
    this.messages = mergeMessages(this.messages, [localMessage(p)]);
    this.panel.setMessages(this.messages);
    this.stopTyping();
    void this.deliver(p);
  }

  /** Sends one pending message (again); a refusal drops it and gives its text back, a lost connection keeps it pending. */
  private async deliver(p: Pending): Promise<void> {
    const connection = this.connection;
    try {
      if (connection?.state !== HubConnectionState.Connected) throw new Error("not connected");
      const ack = await connection.invoke<Ack>("Send", { clientMessageId: p.clientMessageId, body: p.body });
      this.messages = acknowledge(this.messages, ack);
      this.savePending(settle(this.pending, p.clientMessageId));
    } catch (e) {
      const refused = hubError(e);
      if (refused) {
        this.messages = withoutMessage(this.messages, p.clientMessageId);
        this.savePending(settle(this.pending, p.clientMessageId));
        this.panel.setComposerError(refused.text, p.body);
      } else {
        this.messages = this.messages.map((m) => (m.state && m.clientMessageId === p.clientMessageId ? { ...m, state: "waiting" } : m));
        void this.recover();
      }
    }
    this.panel.setMessages(this.messages);
  }

  /** Tells the agent the visitor is typing: at most every few seconds, and that it stopped after a pause. */
  private typing(): void {
    const now = Date.now();
    if (now - this.typingSent > typingEvery) {
      this.typingSent = now;
      this.hubSend("Typing", true);
    }
    clearTimeout(this.typingTimer);
    this.typingTimer = window.setTimeout(() => this.stopTyping(), typingIdle);
  }

  private stopTyping(): void {
    clearTimeout(this.typingTimer);
    if (this.typingSent) {
      this.typingSent = 0;
      this.hubSend("Typing", false);
    }
  }

  private hubSend(method: string, ...args: unknown[]): void {
    if (this.connection?.state === HubConnectionState.Connected) void this.connection.send(method, ...args).catch(() => undefined);
  }

  /**
   * Single-page sites move between pages with history.pushState (and back with popstate) without loading the widget
   * again: each move is told to the agent while a chat is live.
   */
  private watchNavigation(): void {
    const later = () => setTimeout(() => this.navigated(), 0);
    for (const name of ["pushState", "replaceState"] as const) {
      const original = history[name];
      history[name] = function (this: History, data: unknown, unused: string, url?: string | URL | null) {
        original.call(this, data, unused, url);
        later();
      };
    }
    addEventListener("popstate", later);
    addEventListener("hashchange", later);
  }

  private navigated(): void {
    if (!this.live || location.href === this.toldPage || this.connection?.state !== HubConnectionState.Connected) return;
    this.toldPage = location.href;
    this.hubSend("Navigate", location.href);
  }

  private async leave(): Promise<void> {
    try {
      await (await this.connect()).invoke("Leave");
    } catch (e) {
      this.panel.setComposerError(hubError(e)?.text ?? this.t("failed"));
    }
  }

  private async emailTranscript(email: string | null): Promise<void> {
    try {
      const result = await (await this.connect()).invoke<{ sent: boolean }>("EmailTranscript", email);
      if (email && result.sent) this.email = email;
      this.panel.setTranscriptResult(result.sent);
    } catch {
      this.panel.setTranscriptResult(false);
    }
  }

  private async newChat(): Promise<void> {
    this.chat = null;
    this.ended = null;
    this.messages = [];
    this.savePending([]);
    // whether anyone is online may have changed since the page loaded
    const config = await this.fetchJson<SiteConfig>(`/api/v1/chat/sites/${encodeURIComponent(this.options.key)}`);
    if (config) this.config.online = config.online;
    this.showForm({ email: this.email ?? "" });
    this.panel.setOpen(true);
  }

  private savePending(pending: Pending[]): void {
    this.pending = pending;
    this.store.set("pending", pending.length ? JSON.stringify(pending) : null);
  }

  // --- invitations ---------------------------------------------------------------------------------------------

  private scheduleInvitations(): void {
    this.clearInvitations();
    if (!this.config.online || this.live) return;
    const elapsed = performance.now() - this.loadedAt;
    const visit = { path: location.pathname, returning: this.returning, dismissed: this.store.json<string[]>("dismissed", []) };
    for (const invitation of eligibleInvitations(this.config.invitations ?? [], visit)) {
      this.invitationTimers.push(window.setTimeout(() => {
        if (!this.panel.isOpen && !this.live) {
          this.clearInvitations();
          this.panel.showInvitation(invitation);
        }
      }, Math.max(0, invitation.afterSeconds * 1000 - elapsed)));
    }
  }

  private clearInvitations(): void {
    for (const timer of this.invitationTimers) clearTimeout(timer);
    this.invitationTimers = [];
  }

  private remember(invitation: Invitation): void {
    const dismissed = this.store.json<string[]>("dismissed", []);
    if (!dismissed.includes(invitation.id)) this.store.set("dismissed", JSON.stringify([...dismissed, invitation.id]));
  }

  private acceptInvitation(invitation: Invitation): void {
    this.remember(invitation);
    this.panel.setOpen(true);
  }

  private dismissInvitation(invitation: Invitation): void {
    this.remember(invitation);
    this.panel.showInvitation(null);
  }
}
