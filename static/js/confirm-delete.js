// Deletes ask first. Each delete link leads to a confirmation page that says what goes to the
// recycle bin with the record; with scripts on, that page opens in a <dialog> over the current
// one instead. Without scripts (or if loading it fails) the link simply opens the page.
(function () {
  "use strict";

  function closeAndRemove(dialog) {
    dialog.close();
    dialog.remove();
  }

  function open(link) {
    return fetch(link.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var section = doc.getElementById("confirm-delete");
        if (!section) { throw new Error("no confirmation"); }
        var dialog = document.createElement("dialog");
        dialog.className = "confirm-dialog";
        dialog.setAttribute("aria-labelledby", "confirm-delete-title");
        dialog.appendChild(document.importNode(section, true));
        document.body.appendChild(dialog);
        dialog.querySelectorAll("a[data-cancel]").forEach(function (cancel) {
          cancel.addEventListener("click", function (event) {
            event.preventDefault();
            closeAndRemove(dialog);
            link.focus();
          });
        });
        dialog.addEventListener("cancel", function () { dialog.remove(); link.focus(); });
        dialog.showModal();
        var button = dialog.querySelector("button, a.btn");
        if (button) { button.focus(); }
      });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-confirm-dialog]");
    if (!link || event.defaultPrevented || event.button !== 0 ||
        event.ctrlKey || event.metaKey || event.shiftKey || event.altKey ||
        typeof HTMLDialogElement === "undefined") {
      return;
    }
    event.preventDefault();
    open(link).catch(function () { window.location.href = link.href; });
  });
})();
