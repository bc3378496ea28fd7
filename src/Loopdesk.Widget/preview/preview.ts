// Every state of the panel with made-up data, for looking at the widget without a server (node build.mjs --preview).
import { localMessage, type ShownMessage } from "../src/logic";
import type { SiteConfig } from "../src/protocol";
import { translator } from "../src/text";
import { Panel, type Handlers } from "../src/view";

const query = new URLSearchParams(location.search);
const state = query.get("state") ?? "chatting";
const language = query.get("lang") ?? "en";
const config: SiteConfig = {
  key: "preview", name: "Acme Support", greeting: "Hi! Ask us anything about your order.", colour: query.get("colour") ?? "#1f6feb",
  textColour: "#ffffff", position: query.get("position") === "left" ? "left" : "right", online: state !== "offline",
  nextOpening: "2026-03-03T08:00:00Z", askName: true, askEmail: true, requireEmail: false, maxMessageLength: 2000,
  invitations: [{ id: "i1", message: "Questions about shipping? We're here to help.", afterSeconds: 10, urlPattern: null, returningOnly: false }],
};
const log = (name: string) => (...args: unknown[]) => console.log(name, ...args);
const handlers: Handlers = {
  toggle: () => panel.setOpen(!panel.isOpen), acceptInvitation: log("accept"), dismissInvitation: () => panel.showInvitation(null),
  start: log("start"), leaveMessage: log("leave message"), send: log("send"), typing: () => undefined, leave: log("leave"),
  emailTranscript: () => panel.setTranscriptResult(true), newChat: log("new chat"),
};
const panel = new Panel(translator(language), config, handlers, language);
document.body.append(panel.host);

const at = (minute: number) => new Date(Date.UTC(2026, 2, 2, 9, minute)).toISOString();
const transcript: ShownMessage[] = [
  { id: "1", clientMessageId: "c1", from: "visitor", author: null, body: "My order #4411 hasn't arrived.\nIt was due on Friday.", sentAt: at(1) },
  { id: "2", clientMessageId: null, from: "system", author: null, body: "Thanks for waiting. Someone will be with you shortly.", sentAt: at(1) },
  { id: "3", clientMessageId: null, from: "agent", author: "Priya", body: "Hi, I'm Priya. I'm sorry it's late; let me look it up.", sentAt: at(3) },
  { id: "4", clientMessageId: null, from: "agent", author: "Priya", body: "It left our warehouse yesterday: https://track.example/4411 <b>not bold</b>", sentAt: at(4) },
];

switch (state) {
  case "closed":
    break;
  case "invitation":
    panel.showInvitation(config.invitations[0]!);
    break;
  case "form":
  case "offline":
    panel.showForm(state === "form" ? "chat" : "offline");
    panel.setOpen(true);
    break;
  case "waiting":
    panel.showConversation();
    panel.setStatus({ kind: "queued", position: 3, expectedWaitSeconds: 190, longerThanUsual: query.has("longer") });
    panel.setMessages(transcript.slice(0, 2));
    panel.setOpen(true);
    break;
  case "chatting":
    panel.showConversation();
    panel.setStatus({ kind: "active", agent: "Priya" });
    panel.setMessages([...transcript, localMessage({ clientMessageId: "c9", body: "Great, thank you!", at: at(5) })]);
    panel.setTyping("Priya");
    panel.setOpen(true);
    break;
  case "ended":
    panel.showConversation();
    panel.setMessages(transcript);
    panel.showEnded("Thanks for chatting with us. Your reference is KX4-7PM.", query.has("email") ? "sam@example.net" : null);
    panel.setOpen(true);
    break;
  case "sent":
    panel.showForm("offline");
    panel.showOfflineDone({ reference: "KX4-7PM", acknowledgement: "Thanks, Sam. We've got your message and will answer by email by 11:00 tomorrow." });
    panel.setOpen(true);
    break;
}
