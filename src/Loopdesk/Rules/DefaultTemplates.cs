namespace Loopdesk.Rules;

/// <summary>
/// The words the built-in rules ship with, per language. Admins replace any of them through /api/v1/templates (same
/// key and language); what they store wins. Written to sound like a person who cares, not like a system.
/// </summary>
public static class DefaultTemplates
{
    /// <summary>Placeholders the built-in rules fill in, beyond the general ones every template may use.</summary>
    public static readonly string[] RulePlaceholders =
    [
        "ticket.due_at", "expect.reply_by", "repeat.reason", "repeat.opening", "original.reference", "original.solved_at", "original.days",
        "exchanges", "commitment.description", "commitment.due_at", "survey.link", "suggestion.text", "suggestion.status", "suggestion.outcome",
        "files", "limit",
    ];

    private const string Signature = """
        Kind regards,
        {% if agent.name %}{{ agent.name }}, {% endif %}{{ company.name }}
        """;

    public static readonly IReadOnlyDictionary<(string Key, string Language), string> All = new Dictionary<(string, string), string>
    {
        [("close-the-loop.acknowledgement", "en")] = $$$"""
            Hello {{ customer.first_name | default: "there" }},

            Thank you for getting in touch. Your message has reached us and is in good hands. Its reference is {{ ticket.reference }}; if you mention it, nobody will ask you to explain again.

            You will hear from one of us {{ expect.reply_by | humanize }}.

            {{{Signature}}}
            """,
        [("email.attachment-not-kept", "en")] = $$$"""
            Hello {{ customer.first_name | default: "there" }},

            Thank you for your message about {{ ticket.subject }} ({{ ticket.reference }}); we have it and everything you wrote. One or more files were too large for us to keep: {{ files }}. We accept files up to {{ limit }} each. If we need them, we will ask for another way to share them, so there is nothing you need to do right now.

            {{{Signature}}}
            """,
        [("close-the-loop.acknowledgement", "nl")] = """
            Hallo {{ customer.first_name | default: "daar" }},

            Dank u wel voor uw bericht. Het is bij ons aangekomen en in goede handen. Het kenmerk is {{ ticket.reference }}; als u dat noemt, hoeft u niets opnieuw uit te leggen.

            U hoort van een van ons {{ expect.reply_by | humanize }}.

            Met vriendelijke groet,
            {% if agent.name %}{{ agent.name }}, {% endif %}{{ company.name }}
            """,
        [("repeat-contact.opening", "en")] = """
            Hello {{ customer.first_name | default: "there" }}, I can see you have contacted us several times about this, and I am sorry you have had to. I have everything you told us in front of me, so you will not need to repeat yourself, and I will stay with this until it is sorted.
            """,
        [("repeat-contact.note", "en")] = """
            Escalated: {{ repeat.reason }}

            Suggested opening:
            "{{ repeat.opening }}"
            """,
        [("follow-up-routing.note", "en")] = """
            {{ customer.name }} came back about {{ original.reference }}, which was solved {{ original.days }} days ago. Read that ticket first so they do not have to tell the story again.
            """,
        [("rule-of-three.prompt", "en")] = """
            We have written back and forth {{ exchanges }} times and this is not solved yet. A five-minute phone call often settles what takes days in writing: offer {{ customer.first_name }} a call, or a callback at a time that suits them.
            """,
        [("rule-of-three.callback", "en")] = $$$"""
            Hello {{ customer.first_name | default: "there" }},

            Of course, we will call you. You can expect our call {{ commitment.due_at | humanize }} about {{ ticket.reference }}.

            {{{Signature}}}
            """,
        [("resolved-means-agreed.confirm", "en")] = $$$"""
            Hello {{ customer.first_name | default: "there" }},

            We believe your request {{ ticket.reference }} ("{{ ticket.subject }}") is now resolved. Is it resolved to your satisfaction?

            If it is, there is nothing more you need to do. If it is not, simply reply and tell us what is still wrong: your request opens again and stays with the same person.

            {{{Signature}}}
            """,
        [("resolved-means-agreed.confirm", "nl")] = """
            Hallo {{ customer.first_name | default: "daar" }},

            Wij denken dat uw vraag {{ ticket.reference }} ("{{ ticket.subject }}") nu is opgelost. Is dat naar uw tevredenheid?

            Zo ja, dan hoeft u niets te doen. Zo nee, antwoord dan gewoon op dit bericht en vertel ons wat er nog mis is: uw vraag gaat weer open en blijft bij dezelfde persoon.

            Met vriendelijke groet,
            {% if agent.name %}{{ agent.name }}, {% endif %}{{ company.name }}
            """,
        [("resolved-means-agreed.survey", "en")] = $$$"""
            Hello {{ customer.first_name | default: "there" }},

            Thank you for letting us help with {{ ticket.reference }}. Would you tell us how we did? It is one question and takes a few seconds:

            {{ survey.link }}

            Every answer is read by a person, and we use them to get better.

            {{{Signature}}}
            """,
        [("promises-kept.reminder", "en")] = """
            Reminder: you promised {{ customer.name }} "{{ commitment.description }}" on {{ ticket.reference }}, due {{ commitment.due_at | humanize }}.
            """,
        [("promises-kept.overdue-alert", "en")] = """
            A promise to {{ customer.name }} is overdue on {{ ticket.reference }}: "{{ commitment.description }}" was due {{ commitment.due_at | date: "%Y-%m-%d %H:%M" }}. The customer has been told; please make sure someone keeps it now.
            """,
        [("promises-kept.overdue-customer", "en")] = $$$"""
            Hello {{ customer.first_name | default: "there" }},

            We promised you "{{ commitment.description }}", and we have not kept that promise on time. I am sorry. Your request {{ ticket.reference }} is now with our team lead, who is making sure it happens, and you will hear from us as soon as it has.

            Thank you for your patience.

            {{{Signature}}}
            """,
        [("silence-noticed.follow-up", "en")] = $$$"""
            Hello {{ customer.first_name | default: "there" }},

            This is {{ agent.name | default: "the support team" }} at {{ company.name }}. I am writing about your request {{ ticket.reference }}, "{{ ticket.subject }}", because it has been quiet for a while and I did not want you to think we had forgotten you.

            I am sorry this is taking so long. If anything has changed on your side, or if you would rather we call you, just reply to this message and we will pick it up straight away.

            Thank you for bearing with us.

            {{{Signature}}}
            """,
        [("silence-noticed.chat", "en")] = $$$"""
            Hello {{ customer.first_name | default: "there" }},

            This is {{ agent.name | default: "the support team" }} at {{ company.name }}. You started a chat with us on our website, and I saw that nobody answered you before you had to go. I am sorry we kept you waiting.

            Your question is not forgotten: it is on record as {{ ticket.reference }}. If you still need help, just reply to this message and I will pick it up, or tell me when suits you for a call.

            Thank you for reaching out to us.

            {{{Signature}}}
            """,
        [("silence-noticed.chat-draft", "en")] = $$$"""
            Nobody answered this chat in time, or the visitor left the queue. Please write to them personally; a draft to start from:

            Hello {{ customer.first_name | default: "there" }},

            This is {{ agent.name | default: "the support team" }} at {{ company.name }}. You started a chat with us on our website, and I saw that nobody answered you before you had to go. I am sorry we kept you waiting.

            Your question is not forgotten: it is on record as {{ ticket.reference }}. If you still need help, just reply to this message and I will pick it up, or tell me when suits you for a call.

            Thank you for reaching out to us.

            {{{Signature}}}
            """,
        [("keep-informed.on-hold", "en")] = $$$"""
            Hello {{ customer.first_name | default: "there" }},

            A short update on {{ ticket.reference }}: we are waiting on someone outside our team to move it forward. We have not forgotten it, and we will write as soon as we hear back.

            {{{Signature}}}
            """,
        [("keep-informed.pending", "en")] = $$$"""
            Hello {{ customer.first_name | default: "there" }},

            A short update on {{ ticket.reference }}: we need a little more from you to move it forward; please see our last message. Reply whenever suits you and we will take it from there.

            {{{Signature}}}
            """,
        [("keep-informed.open", "en")] = $$$"""
            Hello {{ customer.first_name | default: "there" }},

            A short update on {{ ticket.reference }}: we are working on it now.

            {{{Signature}}}
            """,
        [("keep-informed.resumed", "en")] = $$$"""
            Hello {{ customer.first_name | default: "there" }},

            Good news on {{ ticket.reference }}: what we were waiting for has arrived, and we are working on your request again.

            {{{Signature}}}
            """,
        [("keep-informed.new-eta", "en")] = $$$"""
            Hello {{ customer.first_name | default: "there" }},

            An update on {{ ticket.reference }}: we now expect to have it done {{ ticket.due_at | humanize }}. We will keep you posted if that changes.

            {{{Signature}}}
            """,
        [("suggestions.outcome", "en")] = $$$"""
            Hello {{ customer.first_name | default: "there" }},

            Some time ago you suggested: "{{ suggestion.text }}". Thank you again. We wanted you to know what became of it: {{ suggestion.outcome }}

            {{{Signature}}}
            """,
    };

    public static string? Find(string key, string language) => All.GetValueOrDefault((key, language));

    public static IEnumerable<string> Keys => All.Keys.Select(k => k.Key).Distinct();
}
