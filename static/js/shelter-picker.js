/* The shelter picker of the publish form. Without this script it is a plain list
   of checkboxes that works as it is; with it, a search field filters the list by
   name, reading (kana), ward or ID as you type, a live count says how many places
   match, and the chosen shelters are listed above as chips that remove them.

   Keyboard: type to filter; Down (or Enter) goes into the list; Up / Down move
   between the shown places; Space or Enter chooses one; Tab leaves the list;
   Escape clears the search. Enter in the search field chooses the only match. */
(function () {
  "use strict";

  // Typed and stored text alike: NFKC (full-width letters and digits, half-width
  // kana), lower case, hiragana as katakana, so かみみぞ finds カミミゾ.
  function fold(text) {
    return (text || "").normalize("NFKC").toLowerCase().replace(/[\u3041-\u3096]/g,
      function (c) { return String.fromCharCode(c.charCodeAt(0) + 0x60); });
  }

  function fill(pattern, values) {
    return pattern.replace(/%\((\w+)\)s/g, function (all, key) {
      return key in values ? values[key] : all;
    });
  }

  function enhance(picker) {
    var form = picker.closest("form");
    var search = picker.querySelector(".picker-search");
    var input = search.querySelector("input");
    var count = picker.querySelector(".picker-count");
    var chosenLabel = picker.querySelector(".picker-chosen");
    var chips = picker.querySelector(".picker-chips");
    var list = picker.querySelector(".picker-options");
    var options = Array.prototype.slice.call(list.querySelectorAll(".picker-option"));
    var boxes = options.map(function (o) { return o.querySelector("input"); });
    var keys = options.map(function (o) { return fold(o.getAttribute("data-search")); });
    var radio = form && form.querySelector("input[name=area_kind][value=shelters]");
    var current = null;  // the one checkbox of the list that Tab reaches

    function shown() {
      return boxes.filter(function (box, i) { return !options[i].hidden; });
    }

    // roving focus: the list is one stop for Tab, not 168
    function makeCurrent(box) {
      if (current) current.tabIndex = -1;
      current = box || null;
      if (current) current.tabIndex = 0;
    }

    function filter() {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var matches = 0;
      options.forEach(function (option, i) {
        var match = words.every(function (w) { return keys[i].indexOf(w) !== -1; });
        option.hidden = !match;
        if (match) matches += 1;
      });
      count.textContent = fill(picker.getAttribute("data-count-text"),
                               {num: matches, total: options.length});
      var visible = shown();
      if (!current || visible.indexOf(current) === -1) makeCurrent(visible[0]);
    }

    function showChips() {
      chips.textContent = "";
      boxes.forEach(function (box, i) {
        if (!box.checked) return;
        var name = options[i].querySelector(".picker-name").textContent;
        var item = document.createElement("li");
        var chip = document.createElement("button");
        chip.type = "button";
        chip.className = "chip";
        chip.lang = "ja";
        chip.setAttribute("data-value", box.value);
        chip.setAttribute("aria-label", fill(picker.getAttribute("data-remove-text"),
                                             {name: name}));
        chip.appendChild(document.createTextNode(name + " "));
        var cross = document.createElement("span");
        cross.setAttribute("aria-hidden", "true");
        cross.textContent = "×";
        chip.appendChild(cross);
        item.appendChild(chip);
        chips.appendChild(item);
      });
      var none = chips.children.length === 0;
      chips.hidden = none;
      chosenLabel.hidden = none;
    }

    function changed(box) {
      if (box.checked && radio) radio.checked = true;  // a shelter chosen: to shelters
      showChips();
    }

    function move(from, step) {
      var visible = shown();
      var at = visible.indexOf(from) + step;
      if (at < 0) { input.focus(); return; }
      if (at >= visible.length) return;
      makeCurrent(visible[at]);
      visible[at].focus();
    }

    function toggle(box) {
      box.checked = !box.checked;
      changed(box);
    }

    input.addEventListener("input", filter);
    input.addEventListener("keydown", function (event) {
      var visible = shown();
      if (event.key === "ArrowDown" || (event.key === "Enter" && visible.length > 1)) {
        event.preventDefault();  // Enter here never sends the form half filled in
        if (visible.length) { makeCurrent(current || visible[0]); current.focus(); }
      } else if (event.key === "Enter") {
        event.preventDefault();
        if (visible.length === 1) toggle(visible[0]);
      } else if (event.key === "Escape" && input.value) {
        event.preventDefault();
        input.value = "";
        filter();
      }
    });
    list.addEventListener("keydown", function (event) {
      var box = event.target;
      if (boxes.indexOf(box) === -1) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        move(box, event.key === "ArrowDown" ? 1 : -1);
      } else if (event.key === "Enter") {
        event.preventDefault();
        toggle(box);
      } else if (event.key === "Home" || event.key === "End") {
        event.preventDefault();
        var visible = shown();
        var to = visible[event.key === "Home" ? 0 : visible.length - 1];
        if (to) { makeCurrent(to); to.focus(); }
      }
    });
    list.addEventListener("change", function (event) {
      if (boxes.indexOf(event.target) !== -1) changed(event.target);
    });
    list.addEventListener("focusin", function (event) {
      if (boxes.indexOf(event.target) !== -1) makeCurrent(event.target);
    });
    chips.addEventListener("click", function (event) {
      var chip = event.target.closest("button.chip");
      if (!chip) return;
      var value = chip.getAttribute("data-value");
      var box = boxes.filter(function (b) { return b.value === value; })[0];
      var next = chip.parentNode.nextElementSibling || chip.parentNode.previousElementSibling;
      var nextValue = next && next.firstChild.getAttribute("data-value");
      if (box) { box.checked = false; changed(box); }
      // focus stays in the chips (or goes back to the search) rather than being lost
      var again = nextValue && chips.querySelector('button.chip[data-value="' +
                                                   CSS.escape(nextValue) + '"]');
      (again || input).focus();
    });

    boxes.forEach(function (box) { box.tabIndex = -1; });
    search.hidden = false;
    picker.classList.add("enhanced");
    filter();
    showChips();
  }

  // wards chosen: the area is those wards
  function wardsFollow(form) {
    var radio = form.querySelector("input[name=area_kind][value=wards]");
    if (!radio) return;
    form.addEventListener("change", function (event) {
      if (event.target.name === "wards" && event.target.checked) radio.checked = true;
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll(".shelter-picker"), function (p) {
    enhance(p);
    if (p.closest("form")) wardsFollow(p.closest("form"));
  });
}());
