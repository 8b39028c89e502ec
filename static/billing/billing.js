// Billing page: the credits-per-day chart (vendored Chart.js; data from json_script).
(function () {
  function draw() {
    const dataEl = document.getElementById("billing-usage-data");
    const canvas = document.getElementById("billing-usage-chart");
    if (!dataEl || !canvas || typeof window.Chart === "undefined") return;
    const rows = JSON.parse(dataEl.textContent);
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: rows.map((r) => r.date.slice(5)), datasets: [{ label: "Credits used", data: rows.map((r) => r.credits), backgroundColor: "#3b4fe0" }] },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
