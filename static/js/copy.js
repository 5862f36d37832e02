// Copy buttons: <button data-copy="ID"> copies the text of the element #ID (a
// <textarea> of the broadcast pack), and says so on the button for two seconds;
// <button data-print> prints the page.
(function () {
  "use strict";
  function copied(button) {
    var label = button.textContent;
    button.textContent = button.dataset.copied || "✓";
    button.classList.add("copied");
    setTimeout(function () {
      button.textContent = label;
      button.classList.remove("copied");
    }, 2000);
  }
  document.addEventListener("click", function (event) {
    if (event.target.closest("button[data-print]")) {
      window.print();
      return;
    }
    var button = event.target.closest("button[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.dataset.copy);
    if (!source) return;
    var text = source.value !== undefined ? source.value : source.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { copied(button); },
        function () { source.select(); document.execCommand("copy"); copied(button); });
    } else {  // plain http on a LAN: the clipboard API is for secure pages only
      source.focus();
      source.select();
      document.execCommand("copy");
      copied(button);
    }
  });
})();
