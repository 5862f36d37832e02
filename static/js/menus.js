// The header's menus (<details>: "More", the languages) open and close without script;
// this only adds what a menu is expected to do: Escape closes it and gives the focus
// back to its summary, and a click or the focus elsewhere closes it.
(function () {
  "use strict";
  var menus = document.querySelectorAll("header.top details");
  function closeAll(except) {
    menus.forEach(function (menu) {
      if (menu !== except) { menu.open = false; }
    });
  }
  menus.forEach(function (menu) {
    menu.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.open) {
        menu.open = false;
        menu.querySelector("summary").focus();
        event.preventDefault();
      }
    });
    menu.addEventListener("focusout", function (event) {
      if (event.relatedTarget && !menu.contains(event.relatedTarget)) { menu.open = false; }
    });
    menu.addEventListener("toggle", function () {
      if (menu.open) { closeAll(menu); }
    });
  });
  document.addEventListener("click", function (event) {
    menus.forEach(function (menu) {
      if (menu.open && !menu.contains(event.target)) { menu.open = false; }
    });
  });
}());
