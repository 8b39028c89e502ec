// The results page of a creative test: cumulative CTR per variant with its Wilson band, and
// impressions per day (Chart.js, vendored under static/vendor/; no CDN).
(() => {
  const COLORS = ["#3b4fe0", "#16794c", "#c2410c", "#7c3aed", "#b91c1c"];
  function draw() {
    const dataEl = document.getElementById("experiment-chart-data");
    if (!dataEl || typeof window.Chart === "undefined") return;
    const data = JSON.parse(dataEl.textContent);
    const ctrSets = [];
    data.arms.forEach((arm, i) => {
      const color = COLORS[i % COLORS.length];
      const name = arm.control ? `${arm.label} (control)` : arm.label;
      ctrSets.push({ label: `${name} – low`, data: arm.ctr_low, borderColor: "transparent", backgroundColor: "transparent", pointRadius: 0, fill: false, spanGaps: true, band: true });
      ctrSets.push({ label: `${name} – high`, data: arm.ctr_high, borderColor: "transparent", backgroundColor: color + "22", pointRadius: 0, fill: "-1", spanGaps: true, band: true });
      ctrSets.push({ label: name, data: arm.ctr, borderColor: color, backgroundColor: color, pointRadius: 0, tension: 0.2, spanGaps: true });
    });
    let drawn = 0;
    const ctr = document.getElementById("experiment-ctr-chart");
    if (ctr) {
      new window.Chart(ctr, {
        type: "line",
        data: { labels: data.labels, datasets: ctrSets },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false, interaction: { mode: "index", intersect: false },
          plugins: {
            legend: { labels: { filter: (item, chart) => !chart.datasets[item.datasetIndex].band } },
            tooltip: { filter: (item) => !item.dataset.band, callbacks: { label: (c) => `${c.dataset.label}: ${c.parsed.y == null ? "—" : c.parsed.y.toFixed(2) + " %"}` } },
          },
          scales: { y: { ticks: { callback: (v) => `${v} %` } }, x: { ticks: { maxTicksLimit: 8 } } },
        },
      });
      drawn += 1;
    }
    const imps = document.getElementById("experiment-impressions-chart");
    if (imps) {
      new window.Chart(imps, {
        type: "bar",
        data: { labels: data.labels, datasets: data.arms.map((arm, i) => ({ label: arm.control ? `${arm.label} (control)` : arm.label, data: arm.impressions, backgroundColor: COLORS[i % COLORS.length] })) },
        options: { responsive: true, maintainAspectRatio: false, animation: false, scales: { x: { ticks: { maxTicksLimit: 8 } } } },
      });
      drawn += 1;
    }
    document.documentElement.dataset.experimentCharts = String(drawn);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
