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
