// Small progressive enhancements shared by every page.
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.querySelector("[data-nav-toggle]");
  const nav = document.getElementById("primary-nav");
  const menus = () => Array.from(document.querySelectorAll("details[data-menu]"));

  const closeNav = () => {
    if (toggle && nav && nav.classList.contains("open")) {
      nav.classList.remove("open");
      toggle.setAttribute("aria-expanded", "false");
    }
  };
  // Closes every open menu but `keep`; the nav counts as a menu too.
  const closeMenus = (keep) => {
    menus().forEach((menu) => { if (menu !== keep && menu.open) menu.open = false; });
    if (keep !== nav) closeNav();
  };

  if (toggle && nav) {
    toggle.addEventListener("click", () => {
      const open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) closeMenus(nav);
    });
  }
  // Opening one menu closes the others (the `toggle` event fires for every way of opening).
  menus().forEach((menu) => {
    menu.addEventListener("toggle", () => { if (menu.open) closeMenus(menu); });
  });
  // A click outside every menu closes them all.
  document.addEventListener("click", (event) => {
    const inside = event.target.closest("details[data-menu], #primary-nav, [data-nav-toggle]");
    if (!inside) closeMenus(null);
  });
  // Escape closes the open menu and gives focus back to its button.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const open = menus().find((menu) => menu.open);
    if (open) {
      open.open = false;
      const summary = open.querySelector("summary");
      if (summary) summary.focus();
    } else if (nav && nav.classList.contains("open")) {
      closeNav();
      toggle.focus();
    }
  });

  document.querySelectorAll("[data-confirm]").forEach((el) => {
    el.addEventListener("submit", (event) => {
      if (!window.confirm(el.dataset.confirm)) event.preventDefault();
    });
  });

  // <button data-copy="#input-id">: copies that field's value (the clipboard API where the page
  // may use it, else the selection), and says so on the button for a moment.
  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.addEventListener("click", async () => {
      const field = document.querySelector(button.dataset.copy);
      if (!field) return;
      const label = button.dataset.label || button.textContent;
      button.dataset.label = label;
      let copied = false;
      try {
        if (navigator.clipboard && window.isSecureContext) {
          await navigator.clipboard.writeText(field.value);
          copied = true;
        }
      } catch (err) { copied = false; }
      if (!copied) {
        field.focus();
        field.select();
        try { copied = document.execCommand("copy"); } catch (err) { copied = false; }
      }
      button.textContent = copied ? "Copied" : "Press Ctrl+C to copy";
      button.setAttribute("data-copied", copied ? "yes" : "no");
      setTimeout(() => { button.textContent = label; }, 2000);
    });
  });
});
