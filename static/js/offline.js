/* Offline support shared by the tablet page and the public boards: registers the
   service worker, keeps this page for offline use, and says honestly whether the
   network is there, how old the data shown is and when this device last sent
   something to the center. */
(function () {
  "use strict";
  var text = JSON.parse(document.getElementById("offline-text").textContent);
  var bar = document.getElementById("connection");
  var lang = document.documentElement.lang.replace("-x-easy", "");
  var clock = new Intl.DateTimeFormat(lang, {hour: "2-digit", minute: "2-digit",
                                             timeZone: "Asia/Tokyo"});
  var relative = window.Intl && Intl.RelativeTimeFormat ?
    new Intl.RelativeTimeFormat(lang, {numeric: "auto"}) : null;
  var state = {reachable: true};

  function fill(pattern, values) {
    return pattern.replace(/%\((\w+)\)s/g, function (all, key) {
      return key in values ? values[key] : all;
    });
  }

  function ago(date) {
    var minutes = Math.round((Date.now() - date.getTime()) / 60000);
    if (!relative) return "";
    if (Math.abs(minutes) < 60) return relative.format(-minutes, "minute");
    if (Math.abs(minutes) < 48 * 60) return relative.format(-Math.round(minutes / 60), "hour");
    return relative.format(-Math.round(minutes / 1440), "day");
  }

  function when(date) {
    return clock.format(date) + " (" + ago(date) + ")";
  }

  function online() {
    return navigator.onLine && state.reachable;
  }

  function update() {
    if (!bar) return;
    var up = online();
    bar.classList.toggle("offline", !up);
    bar.querySelector(".state").textContent = up ? text.online : text.offline;
    var rendered = new Date(bar.getAttribute("data-rendered-at"));
    bar.querySelector(".age").textContent = fill(text.data_of, {time: when(rendered)});
    var sent = localStorage.getItem("ds-last-sent");
    var sync = bar.querySelector(".sync");
    if (sync) sync.textContent = sent ? fill(text.last_sent, {time: when(new Date(sent))}) : "";
  }

  // The network is back or gone: the browser's view, corrected by what fetches find.
  function reachable(yes) {
    if (state.reachable !== yes) { state.reachable = yes; update(); }
  }

  window.addEventListener("online", function () { state.reachable = true; update(); });
  window.addEventListener("offline", update);
  setInterval(update, 30000);
  update();

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", {scope: "/"}).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      // This page was loaded before the worker could keep it: ask it to.
      var channel = new MessageChannel();
      channel.port1.onmessage = function (event) {
        document.documentElement.setAttribute("data-offline-ready", event.data);
      };
      registration.active.postMessage({keep: location.href}, [channel.port2]);
    }).catch(function () {
      // No service worker (not HTTPS, or a private window): the page works online.
      document.documentElement.setAttribute("data-offline-ready", "unavailable");
    });
  }

  window.DisasterOffline = {text: text, fill: fill, update: update, reachable: reachable,
                            online: online, when: when};
})();
