// Keyboard shortcuts of the workspace: j/k move through inbox rows, Enter opens one, "/" searches, r replies, n notes.
(() => {
  const typing = (el) => el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
  const rows = () => Array.from(document.querySelectorAll("[data-row]"));

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
    const list = rows();
    const at = list.indexOf(document.activeElement);
    if (e.key === "j" || e.key === "k") {
      if (list.length === 0) return;
      const next = e.key === "j" ? Math.min(at + 1, list.length - 1) : Math.max(at - 1, 0);
      list[at < 0 ? 0 : next].focus();
      e.preventDefault();
    } else if (e.key === "Enter" && at >= 0) {
      list[at].querySelector("a")?.click();
      e.preventDefault();
    } else if (e.key === "/") {
      const search = document.getElementById("global-search");
      if (search) { search.focus(); e.preventDefault(); }
    } else if (e.key === "r" || e.key === "n") {
      const mode = document.getElementById(e.key === "r" ? "compose-reply" : "compose-note");
      if (mode) {
        mode.click();
        setTimeout(() => document.getElementById("composer-body")?.focus(), 50);
        e.preventDefault();
      }
    }
  });
})();

// The chat console: a short, soft tone when a new chat starts waiting (the page title carries the count).
window.loopdeskChat = {
  ring() {
    try {
      const Audio = window.AudioContext || window.webkitAudioContext;
      if (!Audio) return;
      const context = new Audio();
      const tone = context.createOscillator();
      const gain = context.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.08, context.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.0001, context.currentTime + 0.35);
      tone.connect(gain).connect(context.destination);
      tone.start();
      tone.stop(context.currentTime + 0.35);
      tone.onended = () => context.close();
    } catch {
      // no sound where the browser allows none; the title still shows the count
    }
  },
};
