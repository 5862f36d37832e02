/* The conversation board: the speaker buttons, and back to the phrases once a
   need is queued (the outbox and its message are at the top of the page). */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.speak");
    if (!button) return;
    var sound = new Audio(button.getAttribute("data-audio"));
    sound.play().catch(function () { button.disabled = true; });
  });
  document.addEventListener("submit", function (event) {
    var split = event.target.closest(".split");
    if (!split || !event.defaultPrevented) return;  // tablet.js took it into the outbox
    location.hash = "main";  // closes the phrase, shows the outbox and its message
  });
})();
