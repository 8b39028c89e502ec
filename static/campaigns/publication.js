// Live progress of a publication: WebSocket /ws/publications/<id>/, falling back to polling the API.
(function () {
  "use strict";
  var root = document.querySelector("[data-publication-progress]");
  if (!root) return;
  var bar = root.querySelector("[data-progressbar]");
  var steps = root.querySelector("[data-steps]");
  var errorBox = root.querySelector("[data-publication-error]");
  var badge = document.querySelector("[data-publication-status]");
  var LABELS = {queued: "Queued", running: "Publishing", succeeded: "Published", failed: "Failed"};
  var finished = false;

  function cell(text, tag, cls) {
    var td = document.createElement("td");
    var inner = document.createElement(tag || "span");
    if (cls) inner.className = cls;
    inner.textContent = text;
    td.appendChild(inner);
    return td;
  }

  function show(state) {
    if (!state || state.type === "pong") return;
    bar.setAttribute("aria-valuenow", state.progress);
    bar.querySelector(".bar").style.width = state.progress + "%";
    root.querySelector("[data-progress-value]").textContent = state.progress;
    root.querySelector("[data-progress-step]").textContent =
      state.current_step_label || (state.status === "succeeded" ? "Done" : "Waiting for a worker");
    if (badge) { badge.textContent = LABELS[state.status] || state.status; badge.className = "badge " + state.status; }
    steps.textContent = "";
    (state.steps || []).forEach(function (s) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-step", s.name);
      tr.appendChild(cell(s.label));
      tr.appendChild(cell(s.status, "span", "badge " + s.status));
      tr.appendChild(cell(s.external_id || "", "code"));
      tr.appendChild(cell((s.at || "").slice(0, 19).replace("T", " "), "span", "small muted"));
      steps.appendChild(tr);
    });
    var err = state.error || {};
    if (err.message) {
      errorBox.hidden = false;
      errorBox.querySelector("[data-error-message]").textContent = err.message;
      errorBox.querySelector("[data-error-meta]").textContent =
        (err.field ? " · field " + err.field : "") + (err.code ? " · code " + err.code : "");
    } else {
      errorBox.hidden = true;
    }
    if (state.status === "succeeded" || state.status === "failed") {
      if (!finished) { finished = true; setTimeout(function () { window.location.reload(); }, 800); }
    }
  }

  function poll() {
    if (finished) return;
    fetch(root.getAttribute("data-poll-url"), {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data) show({type: "publication", status: data.status, progress: data.progress, steps: data.steps,
                        error: data.error, current_step_label: (data.steps || []).filter(function (s) { return s.status === "running"; }).map(function (s) { return s.label; })[0] || ""});
      })
      .catch(function () {})
      .then(function () { setTimeout(poll, 2000); });
  }

  var initial = document.getElementById("publication-state");
  var state = initial ? JSON.parse(initial.textContent) : null;
  if (state && !state.active) return;  // nothing moves on a finished publication
  try {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + root.getAttribute("data-ws-path"));
    ws.onmessage = function (e) { try { show(JSON.parse(e.data)); } catch (x) { /* ignore */ } };
    ws.onclose = function () { if (!finished) poll(); };
  } catch (x) {
    poll();
  }
})();
