// Comments on the review page (templates/videogen/review/_comments_panel.html):
// - a comment's time code seeks #review-player there (switching to its format first when it is
//   pinned to another one, through the page's [data-review-format] tabs);
// - markers on a timeline bar under the player, one per time-coded comment;
// - "Use current time" fills the time code (0.1 s) and pins the format being watched;
// - @mention autocomplete from the team (json_script #comment-team);
// - reply toggles. Everything survives the panel being swapped by htmx (delegated events).
// User text is only ever set with textContent.
(function () {
  "use strict";

  const player = () => document.getElementById("review-player");
  const readJSON = (id) => {
    const el = document.getElementById(id);
    try { return el ? JSON.parse(el.textContent) : []; } catch (err) { return []; }
  };
  const round1 = (t) => Math.round(t * 10) / 10;
  const fmt = (t) => {
    const tenths = Math.round(t * 10);
    const m = Math.floor(tenths / 600);
    const s = (tenths - m * 600) / 10;
    return m + ":" + (s < 10 ? "0" : "") + s.toFixed(1);
  };
  const currentRatio = () => {
    const p = player();
    return (p && p.dataset.ratio) || "";
  };

  function seek(t, ratio) {
    const p = player();
    if (!p || !isFinite(t)) return;
    const go = () => {
      try { p.currentTime = t; } catch (err) { /* not seekable yet */ }
      p.dataset.seekedTo = String(t);
    };
    if (ratio && ratio !== currentRatio()) {
      const tab = document.querySelector('[data-review-format="' + CSS.escape(ratio) + '"]');
      if (tab) {
        tab.click();  // the page's switcher keeps the old time on loadedmetadata: seek after it
        p.addEventListener("loadedmetadata", go, { once: true });
        p.scrollIntoView({ block: "nearest", behavior: "smooth" });
        return;
      }
    }
    if (p.readyState >= 1) go(); else p.addEventListener("loadedmetadata", go, { once: true });
    p.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  // --- timeline markers under the player ---
  function duration() {
    const p = player();
    const panel = document.querySelector("[data-comments]");
    const candidates = [p && p.duration, p && parseFloat(p.dataset.duration), panel && parseFloat(panel.dataset.duration)];
    return candidates.find((d) => isFinite(d) && d > 0) || 0;
  }

  function drawMarkers() {
    const p = player();
    if (!p) return;
    let bar = document.querySelector("[data-comment-timeline]");
    if (!bar) {
      bar = document.createElement("div");
      bar.className = "comment-timeline";
      bar.setAttribute("data-comment-timeline", "");
      bar.setAttribute("data-testid", "comment-timeline");
      bar.setAttribute("aria-label", "Comments on the timeline");
      p.insertAdjacentElement("afterend", bar);
    }
    bar.replaceChildren();
    bar.style.maxWidth = p.offsetWidth ? p.offsetWidth + "px" : "";  // as wide as the picture
    const total = duration();
    const markers = readJSON("comment-markers");
    bar.hidden = markers.length === 0;
    const ratio = currentRatio();
    markers.forEach((m) => {
      const dot = document.createElement("button");
      dot.type = "button";
      dot.className = "comment-marker" + (m.resolved ? " resolved" : "") + (m.ratio && m.ratio !== ratio ? " other-format" : "");
      dot.dataset.seek = String(m.t);
      dot.dataset.ratio = m.ratio || "";
      dot.dataset.comment = String(m.id);
      dot.setAttribute("data-testid", "comment-marker");
      const pct = total ? Math.min(100, Math.max(0, (m.t / total) * 100)) : 0;
      dot.style.left = pct + "%";
      dot.title = String(m.label || fmt(m.t)) + (m.ratio ? " · " + m.ratio : "");
      dot.setAttribute("aria-label", "Comment at " + fmt(m.t) + (m.ratio ? " in " + m.ratio : ""));
      bar.appendChild(dot);
    });
  }

  // --- @mention autocomplete ---
  let active = null; // {input, menu, start, items, index}

  function closeMenu() {
    if (active) { active.menu.hidden = true; active.menu.replaceChildren(); active.input.removeAttribute("aria-activedescendant"); }
    active = null;
  }

  function mentionQuery(input) {
    const before = input.value.slice(0, input.selectionStart);
    const m = /(^|[^\w@.+\-/])@([\w.+\-]*)$/.exec(before);
    return m ? { start: before.length - m[2].length - 1, query: m[2].toLowerCase() } : null;
  }

  function showMenu(input) {
    const menu = input.parentElement.querySelector("[data-mention-menu]");
    const q = mentionQuery(input);
    if (!menu || !q) { closeMenu(); return; }
    const team = readJSON("comment-team");
    const items = team.filter((t) => t.handle.toLowerCase().startsWith(q.query) ||
      String(t.name).toLowerCase().split(/\s+/).some((w) => w.startsWith(q.query))).slice(0, 8);
    if (!items.length) { closeMenu(); return; }
    menu.replaceChildren();
    items.forEach((t, i) => {
      const li = document.createElement("li");
      li.role = "option";
      li.id = input.id + "-mention-" + i;
      li.className = "mention-option" + (i === 0 ? " active" : "");
      li.dataset.handle = t.handle;
      const name = document.createElement("strong");
      name.textContent = t.name;
      const handle = document.createElement("span");
      handle.className = "muted";
      handle.textContent = " @" + t.handle;
      li.append(name, handle);
      li.addEventListener("mousedown", (event) => { event.preventDefault(); pick(t.handle); });
      menu.appendChild(li);
    });
    menu.hidden = false;
    active = { input, menu, start: q.start, items, index: 0 };
    input.setAttribute("aria-activedescendant", input.id + "-mention-0");
  }

  function pick(handle) {
    if (!active) return;
    const { input, start } = active;
    const end = input.selectionStart;
    const text = "@" + handle + " ";
    input.value = input.value.slice(0, start) + text + input.value.slice(end);
    const caret = start + text.length;
    input.setSelectionRange(caret, caret);
    closeMenu();
    input.focus();
  }

  function move(delta) {
    if (!active) return;
    const options = active.menu.querySelectorAll(".mention-option");
    active.index = (active.index + delta + options.length) % options.length;
    options.forEach((o, i) => o.classList.toggle("active", i === active.index));
    active.input.setAttribute("aria-activedescendant", options[active.index].id);
  }

  document.addEventListener("input", (event) => {
    if (event.target.matches && event.target.matches("[data-mention-input]")) showMenu(event.target);
  });
  document.addEventListener("keydown", (event) => {
    if (!active || event.target !== active.input) return;
    if (event.key === "ArrowDown") { event.preventDefault(); move(1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); move(-1); }
    else if (event.key === "Enter" || event.key === "Tab") { event.preventDefault(); pick(active.items[active.index].handle); }
    else if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); closeMenu(); }
  }, true);
  document.addEventListener("focusout", (event) => {
    if (active && event.target === active.input) setTimeout(closeMenu, 150);
  });

  // --- clicks: time codes, markers, "use current time", reply toggles ---
  document.addEventListener("click", (event) => {
    const seekEl = event.target.closest("[data-seek]");
    if (seekEl) {
      event.preventDefault();
      seek(parseFloat(seekEl.dataset.seek), seekEl.dataset.ratio || "");
      return;
    }
    const useTime = event.target.closest("[data-use-time]");
    if (useTime) {
      const form = useTime.closest("form");
      const p = player();
      if (!form || !p) return;
      const input = form.querySelector("[data-timecode-input]");
      const select = form.querySelector("[data-ratio-input]");
      let t = round1(p.currentTime || 0);
      const total = duration();
      if (total) t = Math.min(t, Math.floor(total * 10) / 10);
      if (input) input.value = t.toFixed(1);
      if (select && currentRatio() && select.querySelector('option[value="' + CSS.escape(currentRatio()) + '"]')) select.value = currentRatio();
      return;
    }
    const toggle = event.target.closest("[data-reply-toggle]");
    if (toggle) {
      const form = document.getElementById("reply-" + toggle.dataset.replyToggle);
      if (!form) return;
      form.hidden = !form.hidden;
      toggle.setAttribute("aria-expanded", form.hidden ? "false" : "true");
      if (!form.hidden) { const ta = form.querySelector("textarea"); if (ta) ta.focus(); }
    }
  });

  function init() {
    drawMarkers();
    const p = player();
    if (p) {
      p.addEventListener("loadedmetadata", drawMarkers);
      p.addEventListener("review:format", drawMarkers);
      window.addEventListener("resize", drawMarkers);
    }
    const hash = window.location.hash;
    if (/^#comment-\d+$/.test(hash)) {
      const target = document.querySelector(hash);
      if (target) target.classList.add("highlight");
    }
  }
  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:afterSettle", (event) => {
    if (event.target && event.target.id === "comments-panel") drawMarkers();
  });
})();
