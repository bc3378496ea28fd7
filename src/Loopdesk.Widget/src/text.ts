// What the widget says, per language. English is the fallback for a language or a phrase that is missing.

const en = {
  open: "Chat with us",
  openUnread: "Chat with us ({n} new)",
  close: "Minimize chat",
  chatTitle: "Chat with {site}",
  invitationLabel: "Message from {site}",
  invitationOpen: "Chat now",
  dismiss: "Dismiss",
  name: "Name",
  nameOptional: "Name (optional)",
  email: "Email",
  emailOptional: "Email (optional)",
  emailWhy: "So we can follow up if we get cut off.",
  emailWhyOffline: "So we can answer you.",
  question: "How can we help?",
  start: "Start chat",
  offlineTitle: "We're not online right now",
  offlineIntro: "Leave us a message and we'll answer by email.",
  backAt: "We're back {when}.",
  sendMessage: "Send message",
  sent: "Message sent",
  reference: "Your reference: {ref}",
  queued: "You're number {n} in the queue.",
  queuedNext: "You're next in the queue.",
  wait: "Expected wait: {wait}.",
  longer: "It's taking longer than usual. Thank you for waiting; we haven't forgotten you.",
  waiting: "Waiting for someone to join…",
  chattingWith: "You're chatting with {agent}.",
  typing: "{agent} is typing…",
  someone: "Someone",
  you: "You",
  message: "Message",
  send: "Send",
  sending: "Sending…",
  unsent: "Not sent yet: it will go when the connection is back.",
  charactersLeft: "{n} characters left",
  reconnecting: "Connection lost. Reconnecting…",
  leave: "End chat",
  ended: "This chat has ended.",
  emailTranscript: "Email me the transcript",
  transcriptTo: "Email the transcript to",
  transcriptSent: "The transcript is on its way to your inbox.",
  transcriptNotSent: "We couldn't send the transcript. Please try again.",
  newChat: "Start a new chat",
  failed: "Something went wrong. Please try again.",
  required: "Please fill in {field}.",
  emailInvalid: "Please enter a whole email address, like name@example.com.",
  lessThanMinute: "less than a minute",
  minute: "about a minute",
  minutes: "about {n} minutes",
  hour: "about an hour",
  hours: "about {n} hours",
};

export type Phrase = keyof typeof en;
type Phrases = Partial<Record<Phrase, string>>;

const de: Phrases = {
  open: "Chatten Sie mit uns",
  openUnread: "Chatten Sie mit uns ({n} neu)",
  close: "Chat minimieren",
  chatTitle: "Chat mit {site}",
  invitationLabel: "Nachricht von {site}",
  invitationOpen: "Jetzt chatten",
  dismiss: "Schließen",
  name: "Name",
  nameOptional: "Name (optional)",
  email: "E-Mail",
  emailOptional: "E-Mail (optional)",
  emailWhy: "Damit wir uns melden können, falls die Verbindung abbricht.",
  emailWhyOffline: "Damit wir Ihnen antworten können.",
  question: "Wie können wir helfen?",
  start: "Chat starten",
  offlineTitle: "Wir sind gerade nicht online",
  offlineIntro: "Hinterlassen Sie uns eine Nachricht, wir antworten per E-Mail.",
  backAt: "Wir sind wieder da: {when}.",
  sendMessage: "Nachricht senden",
  sent: "Nachricht gesendet",
  reference: "Ihre Vorgangsnummer: {ref}",
  queued: "Sie sind Nummer {n} in der Warteschlange.",
  queuedNext: "Sie sind als Nächstes dran.",
  wait: "Voraussichtliche Wartezeit: {wait}.",
  longer: "Es dauert länger als üblich. Danke für Ihre Geduld, wir haben Sie nicht vergessen.",
  waiting: "Wir verbinden Sie gleich…",
  chattingWith: "Sie chatten mit {agent}.",
  typing: "{agent} schreibt…",
  someone: "Jemand",
  you: "Sie",
  message: "Nachricht",
  send: "Senden",
  sending: "Wird gesendet…",
  unsent: "Noch nicht gesendet: geht raus, sobald die Verbindung wieder steht.",
  charactersLeft: "Noch {n} Zeichen",
  reconnecting: "Verbindung unterbrochen. Neuer Versuch…",
  leave: "Chat beenden",
  ended: "Dieser Chat ist beendet.",
  emailTranscript: "Verlauf per E-Mail senden",
  transcriptTo: "Verlauf senden an",
  transcriptSent: "Der Verlauf ist unterwegs in Ihr Postfach.",
  transcriptNotSent: "Der Verlauf konnte nicht gesendet werden. Bitte versuchen Sie es erneut.",
  newChat: "Neuen Chat starten",
  failed: "Etwas ist schiefgegangen. Bitte versuchen Sie es erneut.",
  required: "Bitte füllen Sie {field} aus.",
  emailInvalid: "Bitte geben Sie eine vollständige E-Mail-Adresse ein, etwa name@example.com.",
  lessThanMinute: "weniger als eine Minute",
  minute: "etwa eine Minute",
  minutes: "etwa {n} Minuten",
  hour: "etwa eine Stunde",
  hours: "etwa {n} Stunden",
};

const fr: Phrases = {
  open: "Discutez avec nous",
  openUnread: "Discutez avec nous ({n} nouveaux)",
  close: "Réduire le chat",
  chatTitle: "Discussion avec {site}",
  invitationLabel: "Message de {site}",
  invitationOpen: "Discuter",
  dismiss: "Fermer",
  name: "Nom",
  nameOptional: "Nom (facultatif)",
  email: "E-mail",
  emailOptional: "E-mail (facultatif)",
  emailWhy: "Pour pouvoir vous recontacter si la connexion est coupée.",
  emailWhyOffline: "Pour pouvoir vous répondre.",
  question: "Comment pouvons-nous vous aider ?",
  start: "Commencer",
  offlineTitle: "Nous ne sommes pas en ligne pour le moment",
  offlineIntro: "Laissez-nous un message, nous répondrons par e-mail.",
  backAt: "De retour {when}.",
  sendMessage: "Envoyer le message",
  sent: "Message envoyé",
  reference: "Votre référence : {ref}",
  queued: "Vous êtes numéro {n} dans la file d'attente.",
  queuedNext: "Vous êtes le prochain.",
  wait: "Attente prévue : {wait}.",
  longer: "L'attente est plus longue que d'habitude. Merci de patienter, nous ne vous oublions pas.",
  waiting: "Nous vous mettons en relation…",
  chattingWith: "Vous discutez avec {agent}.",
  typing: "{agent} écrit…",
  someone: "Quelqu'un",
  you: "Vous",
  message: "Message",
  send: "Envoyer",
  sending: "Envoi…",
  unsent: "Pas encore envoyé : il partira dès le retour de la connexion.",
  charactersLeft: "{n} caractères restants",
  reconnecting: "Connexion perdue. Reconnexion…",
  leave: "Terminer",
  ended: "Cette discussion est terminée.",
  emailTranscript: "M'envoyer la transcription",
  transcriptTo: "Envoyer la transcription à",
  transcriptSent: "La transcription arrive dans votre boîte de réception.",
  transcriptNotSent: "La transcription n'a pas pu être envoyée. Veuillez réessayer.",
  newChat: "Nouvelle discussion",
  failed: "Une erreur s'est produite. Veuillez réessayer.",
  required: "Veuillez remplir : {field}.",
  emailInvalid: "Veuillez saisir une adresse e-mail complète, par exemple nom@example.com.",
  lessThanMinute: "moins d'une minute",
  minute: "environ une minute",
  minutes: "environ {n} minutes",
  hour: "environ une heure",
  hours: "environ {n} heures",
};

const languages: Record<string, Phrases> = { en, de, fr };

export type Translate = (phrase: Phrase, values?: Record<string, string | number>) => string;

/** The language to speak: data-lang, else the page's, else the browser's; English when we have none of them. */
export function pickLanguage(...wanted: (string | null | undefined)[]): string {
  for (const w of wanted) {
    const base = w?.toLowerCase().split(/[-_]/)[0];
    if (base && base in languages) return base;
  }
  return "en";
}

export function translator(language: string): Translate {
  const phrases = languages[language] ?? en;
  return (phrase, values = {}) =>
    (phrases[phrase] ?? en[phrase]).replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? ""));
}

/** An honest expected wait in words, rounded the way a person would say it. */
export function waitInWords(t: Translate, seconds: number): string {
  if (seconds < 45) return t("lessThanMinute");
  const minutes = Math.round(seconds / 60);
  if (minutes <= 1) return t("minute");
  if (minutes < 55) return t("minutes", { n: minutes < 10 ? minutes : Math.round(minutes / 5) * 5 });
  const hours = Math.round(minutes / 60);
  return hours <= 1 ? t("hour") : t("hours", { n: hours });
}
