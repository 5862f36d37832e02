/* Offline support shared by the tablet page and the public boards: registers the
   service worker, keeps this page for offline use, and says honestly whether the
   network is there, how old the data shown is and when this device last sent
   something to the center. */
(function () {
  "use strict";
  var text = JSON.parse(document.getElementById("offline-text").textContent);
  var bar = document.getElementById("connection");
  // The language of the bar's texts: the page's (the server says which it wrote in).
  var lang = text.lang || document.documentElement.lang;
  var intlLang = lang.replace("-x-easy", "");
  // A 24-hour clock: some languages' default is an English "2:30 PM" (Khmer), and
  // "12 PM" is read as midnight as often as noon; Easy Japanese has its own words.
  var clock = new Intl.DateTimeFormat(intlLang, {hour: "2-digit", minute: "2-digit",
                                                 hourCycle: "h23", timeZone: "Asia/Tokyo"});
  // Where the browser lacks the language (Chromium has no Nepali, Burmese, Khmer or
  // Mongolian) Intl answers in the browser's own, Japanese on a Japanese tablet:
  // then the server's CLDR patterns (text.relative) say it instead.
  var relative = window.Intl && Intl.RelativeTimeFormat &&
    Intl.RelativeTimeFormat.supportedLocalesOf(intlLang).length ?
    new Intl.RelativeTimeFormat(intlLang, {numeric: "auto"}) : null;
  var state = {reachable: true};

  function fill(pattern, values) {
    return pattern.replace(/%\((\w+)\)s/g, function (all, key) {
      return key in values ? values[key] : all;
    });
  }

  // value <= 0 units of time ago, as Intl.RelativeTimeFormat's numeric "auto" says it.
  function past(value, unit) {
    if (relative) return relative.format(value, unit);
    var data = text.relative && text.relative.units[unit];
    if (!data) return "";
    if (String(value) in data.relative) return data.relative[String(value)];
    var count = -value, category = "other";
    Object.keys(text.relative.plural).forEach(function (name) {
      if (text.relative.plural[name].indexOf(count) >= 0) category = name;
    });
    return (data.past[category] || data.past.other).replace("{0}", String(count));
  }

  function ago(date) {
    // never "in 2 minutes": a device clock a little behind the server's is "now"
    var minutes = Math.max(0, Math.round((Date.now() - date.getTime()) / 60000));
    if (minutes < 60) return past(-minutes, "minute");
    if (minutes < 48 * 60) return past(-Math.round(minutes / 60), "hour");
    return past(-Math.round(minutes / 1440), "day");
  }

  // Easy Japanese: ごご 2時30分, ひるの 12時 (noon), よるの 12時 (midnight).
  function easyClock(date) {
    var words = text.easy_clock;
    var japan = new Date(date.getTime() + 9 * 3600000);  // Japan has no summer time
    var hour = japan.getUTCHours(), minute = japan.getUTCMinutes();
    var period = hour === 0 ? "midnight" : hour === 12 ? "noon" : hour < 12 ? "am" : "pm";
    return words[period] + " " + fill(words.hour, {hour: hour % 12 || 12}) +
      (minute ? fill(words.minute, {minute: minute}) : "");
  }

  function when(date) {
    var said = ago(date);
    var time = text.easy_clock ? easyClock(date) : clock.format(date);
    return said ? time + " (" + said + ")" : time;
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

  // navigator.onLine is often wrong (a Wi-Fi with no way out, a page the worker served
  // from its copy; newer Chromium keeps it true under an emulated outage): ask the
  // server itself, which the service worker never answers for
  function probe() {
    if (!window.fetch) return;
    fetch("/healthz", {cache: "no-store", credentials: "omit"}).then(function (response) {
      reachable(response.ok);
    }, function () { reachable(false); });
  }

  window.addEventListener("online", function () { state.reachable = true; update(); probe(); });
  window.addEventListener("offline", update);
  setInterval(function () { update(); probe(); }, 30000);
  update();
  // a page that came from the worker's copy, not the network: is the server there?
  var loaded = window.performance && performance.getEntriesByType &&
    performance.getEntriesByType("navigation")[0];
  if (navigator.serviceWorker && navigator.serviceWorker.controller && loaded &&
      !loaded.transferSize) probe();

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
