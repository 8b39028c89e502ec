// The header bell: live unread count over /ws/notifications/ (Channels), or a poll of
// /notifications/count/ every 30 s while the socket is unavailable. Text only: a notification's
// message is put in with textContent, never as HTML.
(function () {
  "use strict";
  const POLL_MS = 30000;
  const RETRY_MS = 15000;

  function start(bell) {
    const counter = bell.querySelector("[data-bell-count]");
    const summary = bell.querySelector("summary");
    const list = bell.querySelector("[data-bell-list]");
    let pollTimer = null;
    let closedByServer = false;

    function setCount(n) {
      const count = Math.max(0, parseInt(n, 10) || 0);
      counter.textContent = String(count);
      counter.classList.toggle("zero", count === 0);
      summary.setAttribute("aria-label", "Notifications, " + count + " unread");
      bell.dataset.unread = String(count);
    }

    function addItem(item) {
      if (!list || !item || list.querySelector('[data-id="' + Number(item.id) + '"]')) return;
      const empty = list.querySelector("[data-bell-empty]");
      if (empty) empty.remove();
      const li = document.createElement("li");
      li.className = "unread";
      li.dataset.id = String(Number(item.id));
      const form = document.createElement("form");
      form.method = "post";
      form.action = "/notifications/" + Number(item.id) + "/read/";
      const csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
      if (csrf) {
        const hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = "csrfmiddlewaretoken";
        hidden.value = csrf.value;
        form.appendChild(hidden);
      }
      const button = document.createElement("button");
      button.type = "submit";
      button.className = "menu-item bell-item";
      const message = document.createElement("span");
      message.className = "bell-message";
      message.textContent = String(item.message || "");
      const when = document.createElement("span");
      when.className = "muted bell-when";
      when.textContent = "just now";
      button.append(message, when);
      form.appendChild(button);
      li.appendChild(form);
      list.prepend(li);
    }

    function handle(data) {
      if (!data || data.type !== "notifications") return;
      setCount(data.unread);
      if (data.notification) addItem(data.notification);
    }

    function poll() {
      fetch(bell.dataset.countUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((r) => (r.ok ? r.json() : null))
        .then((data) => { if (data) setCount(data.unread); })
        .catch(() => {});
    }

    function startPolling() {
      if (!pollTimer) pollTimer = setInterval(poll, POLL_MS);
    }

    function connect() {
      if (!("WebSocket" in window)) { startPolling(); return; }
      const scheme = window.location.protocol === "https:" ? "wss" : "ws";
      const url = scheme + "://" + window.location.host + "/ws/notifications/?org=" + encodeURIComponent(bell.dataset.org);
      let socket;
      try { socket = new WebSocket(url); } catch (err) { startPolling(); return; }
      socket.addEventListener("open", () => {
        bell.dataset.live = "yes";
        if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
      });
      socket.addEventListener("message", (event) => {
        try { handle(JSON.parse(event.data)); } catch (err) { /* not JSON: ignored */ }
      });
      socket.addEventListener("close", (event) => {
        bell.dataset.live = "no";
        closedByServer = event.code === 4403 || event.code === 4404;
        startPolling();
        if (!closedByServer) setTimeout(connect, RETRY_MS);
      });
    }

    connect();
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-bell]").forEach(start);
  });
})();
