// widget.js: <script src="https://desk.example.com/chat/widget.js" data-site="KEY" async></script>
import { pickLanguage } from "./text";
import { ChatWidget } from "./widget";

const marker = "__loopdeskChat";
const script =
  (document.currentScript as HTMLScriptElement | null) ??
  document.querySelector<HTMLScriptElement>('script[data-site][src*="/chat/widget.js"]');
const key = script?.dataset.site;
const page = window as unknown as Record<string, unknown>;

if (!script?.src || !key) {
  console.warn('Loopdesk chat: add data-site="KEY" to the widget\'s script tag.');
} else if (!page[marker]) {
  page[marker] = true;
  const widget = new ChatWidget({
    base: new URL(script.src, location.href).origin,
    key,
    language: pickLanguage(script.dataset.lang, document.documentElement.lang, navigator.language),
    open: script.dataset.open === "true",
  });
  const run = () => void widget.start();
  if (document.body) run();
  else document.addEventListener("DOMContentLoaded", run, { once: true });
}
