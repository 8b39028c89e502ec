// Review page: one player (#review-player) whose format switches in place, keeping the time code.
// Dispatches "review:format" on the player ({detail: {ratio}}) for the comments panel.
(function () {
  "use strict";
  function init() {
    const player = document.getElementById("review-player");
    if (!player) return;
    const figure = document.querySelector("[data-review-figure]");
    const download = document.querySelector("[data-review-download]");
    const size = document.querySelector("[data-review-size]");
    const label = document.querySelector("[data-review-ratio]");
    const tabs = document.querySelectorAll("[data-review-format]");
    tabs.forEach((tab) => {
      tab.addEventListener("click", () => {
        if (player.dataset.ratio === tab.dataset.reviewFormat) return;
        const at = player.currentTime || 0;
        const playing = !player.paused;
        tabs.forEach((t) => { t.classList.toggle("active", t === tab); t.setAttribute("aria-selected", t === tab ? "true" : "false"); });
        figure.className = figure.className.replace(/ratio-\S+/, "ratio-" + tab.dataset.slug);
        player.dataset.ratio = tab.dataset.reviewFormat;
        if (tab.dataset.poster) player.poster = tab.dataset.poster; else player.removeAttribute("poster");
        player.src = tab.dataset.src;
        player.addEventListener("loadedmetadata", () => {
          player.currentTime = Math.min(at, player.duration || at);
          if (playing) player.play().catch(() => {});
        }, { once: true });
        if (download) download.href = tab.dataset.src + "?download=1";
        if (label) label.textContent = tab.dataset.reviewFormat;
        if (size) size.textContent = tab.dataset.size;
        player.dispatchEvent(new CustomEvent("review:format", { bubbles: true, detail: { ratio: tab.dataset.reviewFormat } }));
      });
    });
  }
  document.addEventListener("DOMContentLoaded", init);
})();
