/* The header's menu on narrow screens: the sections and the account fold behind one button.
   Loaded in <head> (not deferred) so that the page is marked as scripted before its first paint;
   without JavaScript the header simply shows everything. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function setOpen(bar, button, open) {
    bar.classList.toggle("menu-open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector(".topbar .menu-toggle");
    if (!button) {
      return;
    }
    var bar = button.closest(".topbar");
    button.addEventListener("click", function () {
      setOpen(bar, button, !bar.classList.contains("menu-open"));
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && bar.classList.contains("menu-open")) {
        setOpen(bar, button, false);
        button.focus();
      }
    });
  });
})();
