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
    drawCharts();
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
