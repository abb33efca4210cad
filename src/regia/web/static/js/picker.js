/* Autocomplete pickers over the taxonomy (the `forms.picker` macro of _forms.html).
 *
 * The macro renders a text field holding the chosen codes (space-separated) and, hidden, the chosen names. Here
 * that field becomes hidden; a search box (an ARIA combobox) asks the picker's URL (/taxonomy/picker/<kind>?q=,
 * as htmx does: `HX-Request`) for suggestions, and the chosen names show as chips with a remove button. Without
 * this script the field stays a plain text field of codes, so every form still works. */
(function () {
  "use strict";

  function setup(box) {
    var field = box.querySelector(".picker-value");
    var chips = box.querySelector(".picker-chips");
    var label = box.querySelector("label[for='" + field.id + "']");
    var multiple = box.dataset.multiple === "true";
    var search = document.createElement("input");
    var list = document.createElement("ul");
    var timer = null, active = -1, asked = "";

    search.type = "text";
    search.id = field.id + "-search";
    search.className = "form-control picker-search";
    search.autocomplete = "off";
    search.setAttribute("role", "combobox");
    search.setAttribute("aria-autocomplete", "list");
    search.setAttribute("aria-expanded", "false");
    search.setAttribute("aria-controls", field.id + "-options");
    search.setAttribute("aria-describedby", field.getAttribute("aria-describedby") || "");
    search.placeholder = box.dataset.search || "";
    list.id = field.id + "-options";
    list.className = "picker-options list-unstyled";
    list.setAttribute("role", "listbox");
    if (label) { label.htmlFor = search.id; list.setAttribute("aria-label", label.textContent); }
    list.hidden = true;
    field.type = "hidden";
    field.after(search);
    search.after(list);
    chips.hidden = false;
    chips.setAttribute("aria-live", "polite");
    Array.prototype.forEach.call(chips.children, decorate);

    function values() { return field.value.split(/\s+/).filter(Boolean); }

    function decorate(chip) {
      var name = chip.querySelector(".picker-name");
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "btn btn-sm picker-remove";
      remove.setAttribute("aria-label", (box.dataset.remove || "×") + " " + (name ? name.textContent : chip.dataset.value));
      remove.textContent = "×";
      remove.addEventListener("click", function () {
        field.value = values().filter(function (v) { return v !== chip.dataset.value; }).join(" ");
        chip.remove();
        field.dispatchEvent(new Event("change", {bubbles: true}));
        search.focus();
      });
      chip.classList.add("picker-chip");
      chip.appendChild(remove);
    }

    function close() {
      list.hidden = true; list.innerHTML = ""; active = -1;
      search.setAttribute("aria-expanded", "false");
      search.removeAttribute("aria-activedescendant");
    }

    function options() { return list.querySelectorAll("[role=option][data-value]"); }

    function highlight(index) {
      var all = options();
      if (!all.length) return;
      active = (index + all.length) % all.length;
      Array.prototype.forEach.call(all, function (o, i) { o.setAttribute("aria-selected", i === active ? "true" : "false"); });
      search.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({block: "nearest"});
    }

    function choose(option) {
      var value = option.dataset.value;
      if (!value) return;
      var chosen = multiple ? values() : [];
      if (!multiple) chips.innerHTML = "";
      if (chosen.indexOf(value) < 0) {
        chosen.push(value);
        var chip = document.createElement("li");
        chip.dataset.value = value;
        chip.innerHTML = option.innerHTML;
        chips.appendChild(chip);
        decorate(chip);
      }
      field.value = chosen.join(" ");
      field.dispatchEvent(new Event("change", {bubbles: true}));
      search.value = "";
      close();
      search.focus();
    }

    function suggest() {
      var q = search.value.trim();
      if (!q) { close(); return; }
      asked = q;
      fetch(box.dataset.url + "?q=" + encodeURIComponent(q), {headers: {"HX-Request": "true"}, credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) {
          if (asked !== q) return;  // an older answer
          var parsed = new DOMParser().parseFromString(html, "text/html").querySelector("[role=listbox]");
          list.innerHTML = parsed ? parsed.innerHTML : "";
          Array.prototype.forEach.call(list.querySelectorAll("[role=option]"), function (o, i) {
            o.id = field.id + "-option-" + i;
          });
          list.hidden = !list.children.length;
          search.setAttribute("aria-expanded", list.hidden ? "false" : "true");
          active = -1;
        });
    }

    search.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(suggest, 200); });
    search.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") { e.preventDefault(); highlight(active + 1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); highlight(active - 1); }
      else if (e.key === "Enter") {
        e.preventDefault();  // never submit the form from the search box
        var all = options();
        if (all.length) choose(all[active >= 0 ? active : 0]);
      } else if (e.key === "Escape") { close(); }
    });
    list.addEventListener("mousedown", function (e) { e.preventDefault(); });  // keep the focus in the box
    list.addEventListener("click", function (e) {
      var option = e.target.closest("[role=option][data-value]");
      if (option) choose(option);
    });
    search.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  function init(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("[data-picker]:not([data-picker-ready])"), function (box) {
      box.setAttribute("data-picker-ready", "");
      setup(box);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { init(); });
  else init();
  document.addEventListener("htmx:afterSwap", function (e) { init(e.target); });
})();
