// The wire shapes of the chat API and the visitor hub (camelCase JSON). See docs/chat.md.

export interface Invitation {
  id: string;
  message: string;
  afterSeconds: number;
  urlPattern: string | null;
  returningOnly: boolean;
}

export interface SiteConfig {
  key: string;
  name: string;
  greeting: string;
  colour: string;
  textColour: string;
  position: "right" | "left";
  online: boolean;
  nextOpening: string | null;
  askName: boolean;
  askEmail: boolean;
  requireEmail: boolean;
  maxMessageLength: number;
  invitations: Invitation[];
}

export interface Visitor {
  token: string;
  visitorId: string;
  returning: boolean;
}

export type From = "visitor" | "agent" | "system";

export interface ChatMessage {
  id: string;
  clientMessageId: string | null;
  from: From;
  author: string | null;
  body: string;
  sentAt: string;
}

export interface ChatState {
  chatId: string;
  status: "queued" | "active" | "ended";
  position: number | null;
  expectedWaitSeconds: number | null;
  longerThanUsual: boolean;
  agent: string | null;
  email: string | null;
  messages: ChatMessage[];
  /** The chat's version: every change of its state raises it, and the pushes below carry the one they were made at. */
  version: number;
}

export interface Ack {
  id: string;
  clientMessageId: string;
  sentAt: string;
}

export interface QueueUpdate {
  position: number | null;
  expectedWaitSeconds: number | null;
  longerThanUsual: boolean;
  version: number;
}

export interface Accepted {
  agent: string | null;
  version: number;
}

export interface Ended {
  reason: string;
  message: string | null;
  version: number;
}

export interface OfflineReceipt {
  reference: string;
  acknowledgement: string;
}
