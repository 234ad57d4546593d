/* Autocomplete of @mentions in comment boxes (templates/discussion/).

   A textarea with data-mentions-url gets a list of suggestions when the user types "@": the
   people and units of the record's agreement, read once from that URL (JSON). Picking one
   (click, Enter or Tab) inserts its mention, e.g. "@[Nguyễn Văn A](user:12) ". No inline
   script: the page only includes this file. */
(function () {
  "use strict";

  var MAX_SHOWN = 8;

  function fold(text) {
    return (text || "").replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function setup(box, index) {
    var url = box.getAttribute("data-mentions-url");
    var items = null;
    var loading = null;
    var shown = [];
    var active = -1;
    var start = -1;
    var list = document.createElement("ul");
    list.className = "mention-list";
    list.id = "mention-list-" + index;
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", box.getAttribute("data-mentions-label") || "@");
    list.hidden = true;
    var wrap = document.createElement("div");
    wrap.className = "mention-wrap";
    box.parentNode.insertBefore(wrap, box);
    wrap.appendChild(box);
    wrap.appendChild(list);
    box.setAttribute("aria-autocomplete", "list");
    box.setAttribute("aria-controls", list.id);

    function load() {
      if (!loading) {
        loading = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : []; })
          .then(function (data) { items = data; return data; })
          .catch(function () { items = []; return items; });
      }
      return loading;
    }

    function close() {
      list.hidden = true;
      list.innerHTML = "";
      shown = [];
      active = -1;
      start = -1;
      box.removeAttribute("aria-activedescendant");
    }

    function highlight(i) {
      active = i;
      Array.prototype.forEach.call(list.children, function (li, j) {
        li.setAttribute("aria-selected", j === i ? "true" : "false");
      });
      if (i >= 0) {
        box.setAttribute("aria-activedescendant", list.children[i].id);
        list.children[i].scrollIntoView({ block: "nearest" });
      }
    }

    function pick(i) {
      var item = shown[i];
      if (!item || start < 0) { return; }
      var caret = box.selectionStart;
      var text = box.value;
      var insert = item.token + " ";
      box.value = text.slice(0, start) + insert + text.slice(caret);
      var position = start + insert.length;
      box.setSelectionRange(position, position);
      close();
      box.focus();
    }

    function query() {
      var caret = box.selectionStart;
      if (caret !== box.selectionEnd) { return null; }
      var before = box.value.slice(0, caret);
      var match = /(^|[\s(])@([^@\n\[\]()]{0,40})$/.exec(before);
      if (!match) { return null; }
      return { start: caret - match[2].length - 1, text: match[2] };
    }

    function render(q) {
      var words = fold(q.text).split(/\s+/).filter(Boolean);
      shown = items.filter(function (item) {
        var hay = fold(item.label + " " + item.detail).split(/[\s()\-.,]+/);
        return words.every(function (w) {
          return hay.some(function (h) { return h.indexOf(w) === 0; });
        });
      }).slice(0, MAX_SHOWN);
      if (!shown.length) { close(); return; }
      start = q.start;
      list.innerHTML = "";
      shown.forEach(function (item, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.className = "mention-option mention-" + item.kind;
        li.textContent = item.label;
        if (item.detail) {
          var detail = document.createElement("span");
          detail.className = "detail";
          detail.textContent = item.detail;
          li.appendChild(detail);
        }
        li.addEventListener("mousedown", function (event) {
          event.preventDefault();
          pick(i);
        });
        list.appendChild(li);
      });
      list.hidden = false;
      highlight(0);
    }

    function update() {
      var q = query();
      if (!q) { close(); return; }
      if (items) { render(q); return; }
      load().then(function () {
        var again = query();
        if (again) { render(again); }
      });
    }

    box.addEventListener("input", update);
    box.addEventListener("click", update);
    box.addEventListener("blur", function () { window.setTimeout(close, 150); });
    box.addEventListener("keydown", function (event) {
      if (list.hidden) { return; }
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight((active + 1) % shown.length);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight((active - 1 + shown.length) % shown.length);
      } else if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        pick(active < 0 ? 0 : active);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
  }

  function init() {
    var boxes = document.querySelectorAll("textarea[data-mentions-url]");
    Array.prototype.forEach.call(boxes, setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
