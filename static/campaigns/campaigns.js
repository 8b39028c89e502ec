// Campaign pages: inline validation hints, select-all, the period picker and the dashboard charts.
(() => {
  // Tell the server which field changed, so inline validation only flags what the person touched.
  document.addEventListener("htmx:configRequest", (event) => {
    const target = event.detail.triggeringEvent && event.detail.triggeringEvent.target;
    if (target && target.name) event.detail.parameters["_changed"] = target.name;
  });

  function init() {
    document.querySelectorAll("[data-select-all]").forEach((box) => {
      if (box.dataset.bound) return;
      box.dataset.bound = "1";
      box.addEventListener("change", () => {
        box.closest("table").querySelectorAll('input[name="ids"]').forEach((b) => { b.checked = box.checked; });
      });
    });
    document.querySelectorAll("[data-range-select]").forEach((select) => {
      if (select.dataset.bound) return;
      select.dataset.bound = "1";
      const form = select.closest("form");
      select.addEventListener("change", () => {
        const custom = select.value === "custom";
        form.querySelectorAll(".custom-range").forEach((el) => {
          el.hidden = !custom;
          el.querySelectorAll("input").forEach((input) => { input.disabled = !custom; });
        });
        if (!custom) form.submit();
      });
    });
    document.querySelectorAll("select[multiple][data-filter]").forEach(bindPicker);
    document.querySelectorAll("form[data-bulk-confirm]").forEach(bindBulkConfirm);
    drawCharts();
  }

  // Country / language pickers: a search box filters the multi-select's options (typed text
  // matches the name or the code); the chosen ones are listed under it.
  function bindPicker(select) {
    if (select.dataset.bound) return;
    select.dataset.bound = "1";
    const search = document.createElement("input");
    search.type = "search";
    search.className = "picker-search";
    search.placeholder = "Search…";
    search.setAttribute("aria-label", `Search ${(select.labels[0] && select.labels[0].textContent) || "options"}`);
    search.dataset.pickerFor = select.id;
    const chosen = document.createElement("p");
    chosen.className = "picker-chosen small muted";
    chosen.setAttribute("aria-live", "polite");
    select.before(search);
    select.after(chosen);
    const showChosen = () => {
      const names = Array.from(select.selectedOptions).map((o) => o.textContent);
      chosen.textContent = names.length ? `Chosen: ${names.join(", ")}` : "None chosen";
    };
    search.addEventListener("input", () => {
      const q = search.value.trim().toLowerCase();
      Array.from(select.options).forEach((o) => { o.hidden = q !== "" && !o.textContent.toLowerCase().includes(q); });
    });
    search.addEventListener("keydown", (event) => {  // Enter picks the first match instead of submitting
      if (event.key !== "Enter") return;
      event.preventDefault();
      const first = Array.from(select.options).find((o) => !o.hidden);
      if (first) { first.selected = true; select.dispatchEvent(new Event("change", { bubbles: true })); }
    });
    select.addEventListener("change", showChosen);
    showChosen();
  }

  // Bulk status changes: a dialog says what will happen to how many campaigns before anything changes.
  function bindBulkConfirm(form) {
    if (form.dataset.bound) return;
    form.dataset.bound = "1";
    const dialog = form.querySelector("dialog.bulk-confirm");
    if (!dialog || typeof dialog.showModal !== "function") return;
    form.addEventListener("submit", (event) => {
      if (form.dataset.confirmed === "1") return;
      event.preventDefault();
      const action = form.querySelector("[name=action]");
      const option = action.selectedOptions[0];
      const boxes = Array.from(form.querySelectorAll('input[name="ids"]:checked'));
      const target = option.dataset.target;
      const changing = boxes.filter((b) => (option.dataset.from || "").split(" ").includes(b.dataset.status));
      const n = changing.length;
      const skipped = boxes.length - n;
      const text = dialog.querySelector("[data-confirm-text]");
      const ok = dialog.querySelector("[data-confirm-ok]");
      if (!boxes.length) {
        text.textContent = "Tick the campaigns to change first.";
      } else if (!n) {
        text.textContent = `None of the ${boxes.length} selected campaign${boxes.length === 1 ? "" : "s"} can be ${option.dataset.verb}.`;
      } else {
        text.textContent = `${option.dataset.verbCap} ${n} campaign${n === 1 ? "" : "s"}?` +
          (skipped ? ` ${skipped} selected ${skipped === 1 ? "is" : "are"} already ${target} or can't be ${option.dataset.verb}.` : "") +
          (option.dataset.final ? " Archived campaigns, their ad sets and ads can't be edited again; this can't be undone." : " You can undo this afterwards.");
      }
      ok.hidden = !n;
      ok.textContent = `${option.dataset.verbCap} ${n}`;
      dialog.showModal();
    });
    dialog.querySelector("[data-confirm-ok]").addEventListener("click", () => {
      dialog.close();
      form.dataset.confirmed = "1";
      form.requestSubmit();
    });
    dialog.querySelector("[data-confirm-cancel]").addEventListener("click", () => dialog.close());
  }

  // Numbers as people read them: axis ticks and tooltips never show float noise (2.4000000000000004).
  // window.KolonyFormat.money(289.74, "USD") → "$289.74"; .moneyTick(1500, "USD") → "$1,500";
  // .ratio(2.4000000000000004) → "2.4×" (at most 2 decimals); .number(1234.5) → "1,234.5".
  const Format = {
    money(value, currency, digits = 2) {
      if (value === null || value === undefined || Number.isNaN(Number(value))) return "—";
      return new Intl.NumberFormat(undefined, { style: "currency", currency, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(Number(value));
    },
    moneyTick(value, currency) {  // whole units on a wide axis, cents on a narrow one
      const v = Number(value);
      return Format.money(v, currency, Math.abs(v) >= 100 || Number.isInteger(v) ? 0 : 2);
    },
    ratio(value) {
      if (value === null || value === undefined || Number.isNaN(Number(value))) return "—";
      return new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 }).format(Number(value)) + "×";
    },
    number(value, digits = 2) {
      return new Intl.NumberFormat(undefined, { maximumFractionDigits: digits }).format(Number(value));
    },
  };
  window.KolonyFormat = Format;

  let charts = [];
  function drawCharts() {
    const dataEl = document.getElementById("campaigns-chart-data");
    if (!dataEl || typeof window.Chart === "undefined") return;
    charts.forEach((c) => c.destroy());
    charts = [];
    const data = JSON.parse(dataEl.textContent);
    const moneyTick = (v) => Format.moneyTick(v, data.currency);
    const tooltipLabel = (ctx) => {
      const value = ctx.parsed && typeof ctx.parsed === "object" ? (ctx.chart.options.indexAxis === "y" ? ctx.parsed.x : ctx.parsed.y) : ctx.raw;
      const text = ctx.dataset.yAxisID === "y1" ? Format.ratio(value) : Format.money(value, data.currency);
      return `${ctx.dataset.label}: ${text}`;
    };
    const line = document.getElementById("spend-roas-chart");
    if (line) {
      charts.push(new window.Chart(line, {
        type: "line",
        data: {
          labels: data.labels,
          datasets: [
            { label: `Spend (${data.currency})`, data: data.spend, borderColor: "#3b4fe0", backgroundColor: "rgba(59,79,224,.12)", fill: true, tension: 0.25, yAxisID: "y", pointRadius: 0 },
            { label: "ROAS", data: data.roas, borderColor: "#16794c", tension: 0.25, yAxisID: "y1", pointRadius: 0, spanGaps: true },
          ],
        },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false, interaction: { mode: "index", intersect: false },
          plugins: { tooltip: { callbacks: { label: tooltipLabel } } },
          scales: {
            y: { position: "left", ticks: { callback: moneyTick } },
            y1: { position: "right", grid: { drawOnChartArea: false }, ticks: { callback: (v) => Format.ratio(v) } },
            x: { ticks: { maxTicksLimit: 8 } },
          },
        },
      }));
    }
    const bars = document.getElementById("campaign-bars-chart");
    if (bars) {
      charts.push(new window.Chart(bars, {
        type: "bar",
        data: { labels: data.campaigns.labels, datasets: [{ label: `Spend (${data.currency})`, data: data.campaigns.spend, backgroundColor: "#3b4fe0" }] },
        options: { indexAxis: "y", responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: false }, tooltip: { callbacks: { label: tooltipLabel } } }, scales: { x: { ticks: { callback: moneyTick } } } },
      }));
    }
    document.documentElement.dataset.campaignCharts = String(charts.length);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
  document.addEventListener("htmx:afterSettle", init);
})();
