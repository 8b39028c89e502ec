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

  let charts = [];
  function drawCharts() {
    const dataEl = document.getElementById("campaigns-chart-data");
    if (!dataEl || typeof window.Chart === "undefined") return;
    charts.forEach((c) => c.destroy());
    charts = [];
    const data = JSON.parse(dataEl.textContent);
    const money = (v) => new Intl.NumberFormat(undefined, { style: "currency", currency: data.currency, maximumFractionDigits: 0 }).format(v);
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
          scales: {
            y: { position: "left", ticks: { callback: money } },
            y1: { position: "right", grid: { drawOnChartArea: false }, ticks: { callback: (v) => `${v}×` } },
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
        options: { indexAxis: "y", responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } }, scales: { x: { ticks: { callback: money } } } },
      }));
    }
    document.documentElement.dataset.campaignCharts = String(charts.length);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
  document.addEventListener("htmx:afterSettle", init);
})();
