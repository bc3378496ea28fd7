// Drag and drop on the supervisor board. Blazor hears dragstart and drop; this module only makes the drag carry the
// ticket's reference (Firefox starts no drag without data) and marks the person a ticket is held over.
export function init(board) {
  const person = (e) => e.target instanceof Element ? e.target.closest("[data-agent]") : null;
  const clear = () => board.querySelectorAll(".drop-here").forEach((el) => el.classList.remove("drop-here"));

  board.addEventListener("dragstart", (e) => {
    const row = e.target instanceof Element ? e.target.closest("[data-ticket]") : null;
    if (!row || !e.dataTransfer) return;
    e.dataTransfer.setData("text/plain", row.dataset.ticket);
    e.dataTransfer.effectAllowed = "move";
  });
  board.addEventListener("dragover", (e) => {
    const target = person(e);
    if (target && !target.classList.contains("drop-here")) {
      clear();
      target.classList.add("drop-here");
    }
  });
  board.addEventListener("dragleave", (e) => {
    const target = person(e);
    if (target && !target.contains(e.relatedTarget)) target.classList.remove("drop-here");
  });
  board.addEventListener("drop", clear);
  board.addEventListener("dragend", clear);
}
