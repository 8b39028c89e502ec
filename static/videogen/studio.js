// Video Studio: photo drop zone, live render progress (WebSocket, polling fallback), player tabs.
(function () {
  "use strict";

  function csrfToken() {
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // ---- Brief: photo uploads with previews -------------------------------------------------
  function initPhotos() {
    document.querySelectorAll("[data-dropzone]:not([data-ready])").forEach(initZone);
  }

  function initZone(zone) {
    zone.dataset.ready = "1";
    const fileInput = zone.querySelector("[data-file-input]");
    const hidden = document.querySelector("input[name=images]");
    const thumbs = document.querySelector("[data-selected-thumbs]");
    const errorBox = zone.parentElement.querySelector("[data-upload-error]");
    const kind = zone.dataset.kind || "image";

    const ids = () => (hidden && hidden.value ? hidden.value.split(",").filter(Boolean) : []);
    const setIds = (list) => { if (hidden) hidden.value = list.join(","); };

    function addThumb(id, url, name) {
      if (ids().includes(String(id))) return;
      setIds([...ids(), String(id)]);
      const fig = document.createElement("figure");
      fig.className = "thumb selected";
      fig.dataset.assetId = id;
      fig.innerHTML = '<img alt=""><button type="button" class="thumb-remove">×</button>';
      fig.querySelector("img").src = url;
      fig.querySelector("img").alt = name || "photo";
      fig.querySelector("button").setAttribute("aria-label", "Remove " + (name || "photo"));
      thumbs.appendChild(fig);
    }

    if (thumbs) thumbs.addEventListener("click", (e) => {
      const btn = e.target.closest(".thumb-remove");
      if (!btn) return;
      const fig = btn.closest("figure");
      setIds(ids().filter((x) => x !== String(fig.dataset.assetId)));
      fig.remove();
    });

    document.querySelectorAll("[data-pick-asset]").forEach((btn) => {
      btn.addEventListener("click", () => addThumb(btn.dataset.pickAsset, btn.dataset.url, btn.title));
    });

    async function upload(files) {
      errorBox.textContent = "";
      for (const file of files) {
        const body = new FormData();
        body.append("file", file);
        body.append("kind", kind);
        document.querySelectorAll("input[name=aspect_ratios]:checked").forEach((box) => body.append("aspect_ratios", box.value));
        zone.classList.add("busy");
        try {
          const res = await fetch(zone.dataset.uploadUrl, { method: "POST", body, headers: { "X-CSRFToken": csrfToken() }, credentials: "same-origin" });
          const data = await res.json().catch(() => ({ detail: "Upload failed (" + res.status + ")." }));
          if (!res.ok) { errorBox.textContent = data.detail || "Upload failed."; continue; }
          if (zone.hasAttribute("data-reload-on-upload")) { errorBox.textContent = "Uploaded " + data.name + "; finding its shots…"; setTimeout(() => window.location.reload(), 2500); continue; }
          addThumb(data.id, data.url, data.name);
          if (data.warnings && data.warnings.length) {
            const fig = thumbs && thumbs.querySelector('figure[data-asset-id="' + data.id + '"]');
            if (fig) { const cap = document.createElement("figcaption"); cap.className = "soft-photo"; cap.textContent = "Low resolution"; cap.title = data.warnings.join(" "); fig.appendChild(cap); }
            const note = document.createElement("p");
            note.className = "message warning"; note.setAttribute("data-testid", "upload-warning");
            note.textContent = data.name + ": " + data.warnings.join(" ");
            zone.parentElement.insertBefore(note, errorBox);
          }
        } catch (err) {
          errorBox.textContent = "Upload failed: " + err.message;
        } finally {
          zone.classList.remove("busy");
        }
      }
    }

    zone.addEventListener("click", () => fileInput.click());
    zone.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); fileInput.click(); } });
    fileInput.addEventListener("change", () => { upload(Array.from(fileInput.files)); fileInput.value = ""; });
    ["dragenter", "dragover"].forEach((t) => zone.addEventListener(t, (e) => { e.preventDefault(); zone.classList.add("over"); }));
    ["dragleave", "drop"].forEach((t) => zone.addEventListener(t, (e) => { e.preventDefault(); zone.classList.remove("over"); }));
    zone.addEventListener("drop", (e) => upload(Array.from(e.dataTransfer.files)));
  }

  // ---- Render: live progress ----------------------------------------------------------------
  function initProgress() {
    const box = document.querySelector("[data-job-progress]");
    if (!box) return;
    const bar = box.querySelector("[data-progressbar]");
    const fill = bar.querySelector(".bar");
    const phase = box.querySelector("[data-progress-phase]");
    const value = box.querySelector("[data-progress-value]");
    const transport = box.querySelector("[data-progress-transport]");
    const errorBox = box.querySelector("[data-progress-error]");
    const renderForm = box.querySelector("[data-render-form]");
    const cancelForm = box.querySelector("[data-cancel-form]");
    const badge = document.querySelector("[data-job-status-badge]");
    let shown = Number(bar.getAttribute("aria-valuenow")) || 0;
    let status = box.dataset.initialStatus;
    let active = box.dataset.initialActive === "true";
    let pollTimer = null;
    let socket = null;
    let reloaded = false;

    function apply(msg) {
      if (!msg || msg.type !== "progress") return;
      const wasActive = active;
      status = msg.status || status;
      active = Boolean(msg.active);
      // Never move backwards within an attempt; a new attempt (queued) starts from its own value.
      const p = Number(msg.progress) || 0;
      shown = (status === "pending" && msg.phase === "queued") ? p : Math.max(shown, p);
      if (status === "completed") shown = 100;
      fill.style.width = shown + "%";
      bar.setAttribute("aria-valuenow", String(shown));
      value.textContent = String(shown);
      phase.textContent = msg.phase || status;
      if (badge) { badge.textContent = status.charAt(0).toUpperCase() + status.slice(1); badge.className = "badge " + status; }
      if (errorBox) { errorBox.hidden = !msg.error; errorBox.textContent = msg.error || ""; }
      if (renderForm) renderForm.hidden = active;
      if (cancelForm) cancelForm.hidden = !active;
      box.dataset.status = status;
      if (wasActive && status === "completed" && !reloaded) {
        reloaded = true;  // show the new version's player
        setTimeout(() => window.location.reload(), 400);
      }
    }

    async function poll() {
      try {
        const res = await fetch(box.dataset.pollUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (res.ok) {
          const job = await res.json();
          apply({ type: "progress", progress: job.progress, phase: job.phase, status: job.status, active: job.active, error: job.error });
        }
      } catch (err) { /* keep polling */ }
      if (active) pollTimer = setTimeout(poll, 1500);
      else pollTimer = null;
    }

    function startPolling() {
      transport.textContent = "(polling)";
      if (!pollTimer) poll();
    }

    function connect() {
      const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      try {
        socket = new WebSocket(scheme + window.location.host + box.dataset.wsPath);
      } catch (err) { startPolling(); return; }
      socket.onopen = () => { transport.textContent = "(live)"; box.dataset.transport = "ws"; };
      socket.onmessage = (e) => { try { apply(JSON.parse(e.data)); } catch (err) { /* ignore */ } };
      socket.onclose = () => {
        box.dataset.transport = "poll";
        if (active) startPolling();
        // try the socket again later; polling covers the gap
        setTimeout(() => { if (active) connect(); }, 5000);
      };
    }
    connect();
    window.kolonyProgress = { apply, get socket() { return socket; } };
  }

  // ---- Preview: one player per aspect ratio -------------------------------------------------
  function initPlayers() {
    document.querySelectorAll("[data-player-tab]").forEach((tab) => {
      tab.addEventListener("click", () => {
        document.querySelectorAll("[data-player-tab]").forEach((t) => t.classList.toggle("active", t === tab));
        document.querySelectorAll("[data-player]").forEach((p) => {
          const on = p.dataset.player === tab.dataset.playerTab;
          p.hidden = !on;
          if (!on) { const v = p.querySelector("video"); if (v) v.pause(); }
        });
      });
    });
  }

  // ---- Brief: listen to the chosen voice ----------------------------------------------------
  function initVoice() {
    const btn = document.querySelector("[data-voice-listen]");
    if (!btn) return;
    const select = document.getElementById("id_voice");
    const player = document.querySelector("[data-voice-player]");
    const ids = JSON.parse(btn.dataset.voices || "{}");
    const sync = () => { btn.disabled = select.value === "none"; };
    select.addEventListener("change", sync);
    sync();
    btn.addEventListener("click", () => {
      const id = ids[select.value || "en-us"];
      if (!id) return;
      player.src = btn.dataset.sampleUrl.replace("/0/", "/" + id + "/");
      player.play().catch(() => {});
    });
  }

  document.addEventListener("DOMContentLoaded", () => { initPhotos(); initProgress(); initPlayers(); initVoice(); });
  document.addEventListener("htmx:afterSwap", initPhotos);
})();
