// Suggests help articles as the customer types a request. Progressive enhancement: the form works without it.
(() => {
  const box = document.getElementById("suggestions");
  const fields = document.querySelectorAll("[data-suggest]");
  if (!box || fields.length === 0 || !window.fetch) return;
  let timer = 0;
  let last = "";
  const run = async () => {
    const q = Array.from(fields).map((f) => f.value).join(" ").trim().split(/\s+/).slice(-8).join(" ");
    if (q.length < 3 || q === last) return;
    last = q;
    try {
      const response = await fetch("/api/v1/help/search?limit=5&q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const hits = await response.json();
      box.replaceChildren();
      if (hits.length === 0) return;
      const title = document.createElement("p");
      title.textContent = box.dataset.title || "";
      const list = document.createElement("ul");
      for (const hit of hits) {
        const item = document.createElement("li");
        const link = document.createElement("a");
        link.href = hit.url;
        link.target = "_blank";
        link.rel = "noopener";
        link.textContent = hit.title;
        item.append(link);
        list.append(item);
      }
      box.append(title, list);
    } catch {
      // no suggestions then; the form still works
    }
  };
  for (const field of fields) {
    field.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(run, 300);
    });
  }
})();
