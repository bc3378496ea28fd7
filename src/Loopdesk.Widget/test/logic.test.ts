import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  acknowledge, counterShown, dueInvitation, eligibleInvitations, globMatches, hubError, localMessage, luminance, markUnsent,
  mergeMessages, newClientMessageId, readableText, resendable, settle, withAccepted, withoutMessage, withQueue, withState, type Pending,
} from "../src/logic";
import type { ChatMessage, ChatState, Invitation } from "../src/protocol";
import { pickLanguage, translator, waitInWords } from "../src/text";

const at = (minute: number) => new Date(Date.UTC(2026, 2, 2, 9, minute)).toISOString();
const server = (id: string, minute: number, from: ChatMessage["from"] = "agent", clientMessageId: string | null = null): ChatMessage =>
  ({ id, clientMessageId, from, author: from === "agent" ? "Priya" : null, body: `body ${id}`, sentAt: at(minute) });
const pending = (clientMessageId: string, minute = 30): Pending => ({ clientMessageId, body: `draft ${clientMessageId}`, at: at(minute) });

describe("merging the transcript", () => {
  test("a message that arrives twice (push and resume) is shown once", () => {
    const once = mergeMessages([], [server("m1", 1), server("m2", 2)]);
    const twice = mergeMessages(once, [server("m2", 2), server("m1", 1)]);
    assert.deepEqual(twice.map((m) => m.id), ["m1", "m2"]);
  });

  test("the server's copy of the visitor's own message replaces the one shown as sending", () => {
    const shown = mergeMessages([server("m1", 1)], [localMessage(pending("c1"))]);
    assert.equal(shown.at(-1)!.state, "sending");
    const merged = mergeMessages(shown, [server("m2", 3, "visitor", "c1")]);
    assert.deepEqual(merged.map((m) => [m.id, m.clientMessageId, m.state]), [["m1", null, undefined], ["m2", "c1", undefined]]);
  });

  test("acknowledged messages follow the server's time; the visitor's unacknowledged ones stay last in the order written", () => {
    const shown = mergeMessages([], [localMessage(pending("c1", 5)), localMessage(pending("c2", 1))]);
    const merged = mergeMessages(shown, [server("m3", 9), server("m1", 0)]);
    assert.deepEqual(merged.map((m) => m.id || m.clientMessageId), ["m1", "m3", "c1", "c2"]);
  });

  test("an ack gives the message its id and time and drops its sending state", () => {
    const shown = mergeMessages([], [server("m1", 1), localMessage(pending("c1"))]);
    const acked = acknowledge(shown, { id: "m9", clientMessageId: "c1", sentAt: at(2) });
    assert.deepEqual(acked.map((m) => [m.id, m.state]), [["m1", undefined], ["m9", undefined]]);
    // the push of the same message after its ack changes nothing
    assert.equal(mergeMessages(acked, [server("m9", 2, "visitor", "c1")]).length, 2);
  });

  test("an ack for a message not shown (another tab) leaves the list as it is", () => {
    const shown = mergeMessages([], [server("m1", 1)]);
    assert.deepEqual(acknowledge(shown, { id: "m2", clientMessageId: "cX", sentAt: at(2) }), shown);
  });

  test("a lost connection marks only unacknowledged messages as waiting, and a refused one can be taken out", () => {
    const shown = mergeMessages([], [server("m1", 1), localMessage(pending("c1"))]);
    const waiting = markUnsent(shown, "waiting");
    assert.deepEqual(waiting.map((m) => m.state), [undefined, "waiting"]);
    assert.deepEqual(withoutMessage(waiting, "c1").map((m) => m.id), ["m1"]);
  });
});

describe("the pending list", () => {
  test("after a reconnect, what the transcript holds is settled and the rest is sent again with the same clientMessageId", () => {
    const list = [pending("c1"), pending("c2"), pending("c3")];
    const { resend, received } = resendable(list, [server("m1", 1, "visitor", "c2"), server("m2", 2)]);
    assert.deepEqual(resend.map((p) => p.clientMessageId), ["c1", "c3"]);
    assert.deepEqual(resend.map((p) => p.body), ["draft c1", "draft c3"]);
    assert.deepEqual(received, ["c2"]);
  });

  test("an ack settles its message only", () => {
    assert.deepEqual(settle([pending("c1"), pending("c2")], "c1").map((p) => p.clientMessageId), ["c2"]);
  });

  test("clientMessageIds are UUIDs, also without crypto.randomUUID", () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    assert.match(newClientMessageId(), uuid);
    const noRandomUuid = { getRandomValues: (b: Uint8Array) => globalThis.crypto.getRandomValues(b) } as unknown as Crypto;
    const ids = new Set(Array.from({ length: 50 }, () => newClientMessageId(noRandomUuid)));
    assert.equal(ids.size, 50);
    for (const id of ids) assert.match(id, uuid);
    assert.match(newClientMessageId(undefined), uuid);
  });
});

describe("invitations", () => {
  const invitation = (id: string, afterSeconds: number, urlPattern: string | null = null, returningOnly = false): Invitation =>
    ({ id, message: `Hello ${id}`, afterSeconds, urlPattern, returningOnly });

  test("globs match the whole path: * within a segment, ** across segments, ? one character", () => {
    assert.ok(globMatches("/pricing", "/pricing"));
    assert.ok(!globMatches("/pricing", "/pricing/eu"));
    assert.ok(globMatches("/docs/*", "/docs/setup"));
    assert.ok(!globMatches("/docs/*", "/docs/setup/mail"));
    assert.ok(globMatches("/docs/**", "/docs/setup/mail"));
    assert.ok(globMatches("/shop/item-?", "/shop/item-7"));
    assert.ok(globMatches("/a.b+(c)", "/a.b+(c)"));
    assert.ok(!globMatches("/a.b", "/aXb"));
  });

  test("an invitation is due after its time on a page its pattern matches", () => {
    const list = [invitation("late", 60), invitation("pricing", 10, "/pricing*")];
    const visit = { path: "/pricing", returning: false, dismissed: [] };
    assert.equal(dueInvitation(list, visit, 5), null);
    assert.equal(dueInvitation(list, visit, 10)!.id, "pricing");
    assert.equal(dueInvitation(list, { ...visit, path: "/blog" }, 30), null);
    assert.equal(dueInvitation(list, { ...visit, path: "/blog" }, 60)!.id, "late");
  });

  test("returning-only invitations wait for a returning visitor, and dismissed ones never come back", () => {
    const list = [invitation("welcome-back", 0, null, true), invitation("hello", 20)];
    assert.deepEqual(eligibleInvitations(list, { path: "/", returning: false, dismissed: [] }).map((i) => i.id), ["hello"]);
    assert.deepEqual(eligibleInvitations(list, { path: "/", returning: true, dismissed: [] }).map((i) => i.id), ["welcome-back", "hello"]);
    assert.deepEqual(eligibleInvitations(list, { path: "/", returning: true, dismissed: ["welcome-back", "hello"] }), []);
  });
});

describe("words and errors", () => {
  const t = translator("en");

  test("the expected wait is said the way a person would", () => {
    assert.equal(waitInWords(t, 20), "less than a minute");
    assert.equal(waitInWords(t, 70), "about a minute");
    assert.equal(waitInWords(t, 180), "about 3 minutes");
    assert.equal(waitInWords(t, 17 * 60), "about 15 minutes");
    assert.equal(waitInWords(t, 58 * 60), "about an hour");
    assert.equal(waitInWords(t, 150 * 60), "about 3 hours");
    assert.equal(waitInWords(translator("de"), 180), "etwa 3 Minuten");
  });

  test("the language comes from data-lang, then the page, then the browser, else English", () => {
    assert.equal(pickLanguage("de-AT", "fr", "en"), "de");
    assert.equal(pickLanguage(undefined, "fr-CA", "de"), "fr");
    assert.equal(pickLanguage("xx", "", "pt-BR"), "en");
  });

  test("a hub refusal gives its code and human text; a lost connection is not a refusal", () => {
    const refusal = new Error("An unexpected error occurred invoking 'Send' on the server. HubException: chat.too_long: Messages can be at most 2000 characters.");
    assert.deepEqual(hubError(refusal), { code: "chat.too_long", text: "Messages can be at most 2000 characters." });
    assert.deepEqual(hubError(new Error("chat.ended: This chat has ended.")), { code: "chat.ended", text: "This chat has ended." });
    assert.equal(hubError(new Error("Invocation canceled due to the underlying connection being closed.")), null);
    assert.equal(hubError(undefined), null);
  });

  test("the site's text colour is kept when it reads on the site's colour (AA), else black or white", () => {
    assert.equal(readableText("#1f6feb", "#ffffff"), "#ffffff");
    assert.equal(readableText("#ffd33d", "#ffffff"), "#000000");
    assert.equal(readableText("#0b3d91", "#336699"), "#ffffff");
    assert.equal(readableText("#fff", "#eee"), "#000000");
    assert.equal(luminance("red"), null);
  });

  test("the counter shows from 80% of the limit on", () => {
    assert.ok(!counterShown(1599, 2000));
    assert.ok(counterShown(1600, 2000));
  });
});

describe("the chat's state", () => {
  const queued: ChatState = {
    chatId: "c1", status: "queued", position: 2, expectedWaitSeconds: 120, longerThanUsual: false, agent: null, email: null, messages: [], version: 1,
  };
  const place = (position: number, version: number) => ({ position, expectedWaitSeconds: 60 * position, longerThanUsual: false, version });

  test("a place in the queue worked out before the agent took the chat does not put the visitor back in the queue", () => {
    const taken = withAccepted(withQueue(queued, place(1, 1)), { agent: "Priya", version: 2 });
    const late = withQueue(taken, place(1, 1));
    assert.deepEqual([late.status, late.agent, late.version], ["active", "Priya", 2]);
  });

  test("a chat passed back to a team is queued again, and an agent taking it after that is shown", () => {
    const taken = withAccepted(queued, { agent: "Priya", version: 2 });
    const passed = withQueue(taken, place(3, 3));
    assert.deepEqual([passed.status, passed.position, passed.version], ["queued", 3, 3]);
    assert.deepEqual([withAccepted(passed, { agent: "Sam", version: 4 }).status, withAccepted(passed, { agent: "Sam", version: 4 }).agent], ["active", "Sam"]);
  });

  test("passes of one version move the visitor up; an acceptance older than what is shown changes nothing", () => {
    assert.equal(withQueue(withQueue(queued, place(2, 1)), place(1, 1)).position, 1);
    const passed = withQueue(withAccepted(queued, { agent: "Priya", version: 2 }), place(3, 3));
    assert.equal(withAccepted(passed, { agent: "Priya", version: 2 }).status, "queued");
  });

  test("nothing brings an ended chat back", () => {
    const ended: ChatState = { ...queued, status: "ended", version: 5 };
    assert.equal(withQueue(ended, place(1, 6)).status, "ended");
    assert.equal(withAccepted(ended, { agent: "Priya", version: 6 }).status, "ended");
  });

  test("a resume answered before an acceptance that arrived first keeps the acceptance and takes the transcript", () => {
    const taken = withAccepted(queued, { agent: "Priya", version: 2 });
    const answer: ChatState = { ...queued, messages: [server("m1", 1)], email: "ana@example.com" };
    const kept = withState(taken, answer);
    assert.deepEqual([kept.status, kept.agent, kept.email, kept.messages.length], ["active", "Priya", "ana@example.com", 1]);
    // a newer state, or another chat's, is taken whole
    assert.equal(withState(taken, { ...answer, status: "ended", version: 3 }).status, "ended");
    assert.equal(withState(taken, { ...answer, chatId: "c2" }).chatId, "c2");
    assert.equal(withState(null, answer), answer);
  });
});
