// Voice briefs in the wizard (issue 15): record with the browser's MediaRecorder (or pick an audio file),
// POST it to the Studio, poll the transcription until the GPU worker's Whisper answers, and fill the brief's
// Message field (the marketer can edit it). Vanilla JS, no CDN. Markup: templates/videogen/job_new.html
// [data-voice-brief]; endpoints: videogen/voice_brief_views.py.
(function () {
  "use strict";
  const box = document.querySelector("[data-voice-brief]");
  if (!box) return;
  const recordBtn = box.querySelector("[data-voice-record]");
  const stopBtn = box.querySelector("[data-voice-stop]");
  const fileInput = box.querySelector("[data-voice-file]");
  const status = box.querySelector("[data-voice-status]");
  const target = document.getElementById(box.dataset.target || "id_text_prompt");
  const pollMs = parseInt(box.dataset.pollMs || "1500", 10);
  const deadlineMs = parseInt(box.dataset.timeoutS || "180", 10) * 1000 + 15000;
  let recorder = null;
  let chunks = [];

  function csrfToken() {
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function say(text, kind) {
    status.textContent = text;
    status.dataset.state = kind || "";
    status.classList.toggle("errorlist", kind === "error");
  }

  function show(el, on) {  // .btn sets display, which beats the hidden attribute
    el.hidden = !on;
    el.style.display = on ? "" : "none";
  }

  function busy(on) {
    recordBtn.disabled = on;
    if (fileInput) fileInput.disabled = on;
  }

  const TYPES = [["audio/webm;codecs=opus", ".webm"], ["audio/webm", ".webm"], ["audio/ogg;codecs=opus", ".ogg"],
                 ["audio/mp4", ".m4a"]];

  function extensionFor(mime) {
    const found = TYPES.find(([t]) => mime && mime.startsWith(t.split(";")[0]));
    return found ? found[1] : ".webm";
  }

  async function send(blob, filename) {
    busy(true);
    say("Uploading the voice brief…", "pending");
    const body = new FormData();
    body.append("audio", blob, filename);
    let res, data = {};
    try {
      res = await fetch(box.dataset.uploadUrl, { method: "POST", body, credentials: "same-origin",
                                                 headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" } });
      data = await res.json().catch(() => ({}));
    } catch (e) {
      busy(false);
      say("The voice brief could not be sent (network error). Try again, or type the brief.", "error");
      return;
    }
    if (!res.ok) {
      busy(false);
      say(data.detail || `The voice brief was refused (HTTP ${res.status}).`, "error");
      return;
    }
    say("Transcribing on the GPU worker…", "pending");
    poll(data.status_url, Date.now() + deadlineMs);
  }

  async function poll(url, deadline) {
    let data = {};
    try {
      const res = await fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } });
      data = await res.json().catch(() => ({}));
      if (!res.ok) data = { status: "failed", message: data.detail || `The transcription could not be read (HTTP ${res.status}).` };
    } catch (e) {
      data = { status: "pending" };
    }
    if (data.status === "pending") {
      if (Date.now() > deadline) {
        busy(false);
        say("The transcription timed out. Try again, or type the brief.", "error");
        return;
      }
      setTimeout(() => poll(url, deadline), pollMs);
      return;
    }
    busy(false);
    if (data.status === "done") {
      if (target) {
        target.value = data.text;
        target.dispatchEvent(new Event("input", { bubbles: true }));
        target.focus();
      }
      say(data.note || "Done: the Message above is your voice brief. Edit it as you like.", data.note ? "note" : "done");
    } else {
      say(data.message || "The voice brief could not be transcribed. Try again, or type the brief.", "error");
    }
  }

  if (!(window.MediaRecorder && navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) {
    show(recordBtn, false);  // no recording in this browser: the file upload stays
  }

  recordBtn.addEventListener("click", async () => {
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (e) {
      say("The microphone is not available (permission denied or no microphone). Upload an audio file instead.", "error");
      return;
    }
    const choice = TYPES.find(([t]) => MediaRecorder.isTypeSupported && MediaRecorder.isTypeSupported(t));
    recorder = choice ? new MediaRecorder(stream, { mimeType: choice[0] }) : new MediaRecorder(stream);
    chunks = [];
    recorder.addEventListener("dataavailable", (ev) => { if (ev.data && ev.data.size) chunks.push(ev.data); });
    recorder.addEventListener("stop", () => {
      stream.getTracks().forEach((t) => t.stop());
      const mime = recorder.mimeType || (choice ? choice[0] : "audio/webm");
      const blob = new Blob(chunks, { type: mime.split(";")[0] });
      show(recordBtn, true);
      show(stopBtn, false);
      if (!blob.size) { say("Nothing was recorded. Try again.", "error"); return; }
      send(blob, "voice-brief" + extensionFor(mime));
    });
    recorder.start();
    show(recordBtn, false);
    show(stopBtn, true);
    stopBtn.focus();
    say("Recording… say what the ad should say, then press Stop.", "recording");
  });

  stopBtn.addEventListener("click", () => { if (recorder && recorder.state !== "inactive") recorder.stop(); });

  if (fileInput) {
    fileInput.addEventListener("change", () => {
      const file = fileInput.files && fileInput.files[0];
      if (file) send(file, file.name);
      fileInput.value = "";
    });
  }
})();
