/* The coordinator's pages keep themselves current.
 *
 * Every few seconds the page asks the change feed what came after its cursor (the
 * number of the last change it knows). When something the page shows has changed, it
 * fetches itself again and swaps in its live regions ([data-live-region] with an id):
 * scroll position, filters (they are in the URL), ticked boxes and half-typed text stay.
 * A region someone is typing in waits until they are done. After a network drop or a
 * server restart it carries on from the same cursor: nothing missed, nothing twice.
 */
(function () {
  "use strict";
  var box = document.getElementById("live");
  if (!box || !window.fetch) return;

  var cursor = Number(box.getAttribute("data-cursor")) || 0;
  var every = (Number(box.getAttribute("data-poll")) || 3) * 1000;
  var delay = every;
  function interests() {  // what the page's regions show: "need shelter assignment"...
    var kinds = [];
    document.querySelectorAll("[data-live-kinds]").forEach(function (el) {
      kinds = kinds.concat(el.getAttribute("data-live-kinds").split(" "));
    });
    return kinds;
  }
  var status = document.getElementById("live-status");
  var count = document.getElementById("live-new");
  var sound = document.getElementById("live-sound");
  var waiting = false;   // a redraw is due (a region was busy, or a fetch failed)
  var drawing = false;
  var shownNew = {};     // needs marked new in this visit: they stay marked on redraws
  var toReport = {};     // needs seen on screen, not yet told to the server

  function text(name) { return box.getAttribute("data-text-" + name) || ""; }

  function csrf() {
    var input = document.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }

  function setState(state) {
    if (box.getAttribute("data-state") === state) return;
    box.setAttribute("data-state", state);
    status.textContent = state === "offline" ? text("offline") : "";
    status.hidden = state !== "offline";
  }

  function showCount(news) {
    if (!count || !news) return;
    count.hidden = news.count === 0;
    count.textContent = news.label || "";
    count.classList.toggle("critical", news.critical > 0);
  }

  // --- an alert for new critical needs, if this coordinator turned it on ---------
  function alertsOn() {
    try { return window.localStorage.getItem("live-alerts") === "on"; } catch (e) { return false; }
  }
  function showAlertsButton() {
    if (!sound) return;
    var on = alertsOn();
    sound.setAttribute("aria-pressed", on ? "true" : "false");
    sound.textContent = on ? text("alerts-on") : text("alerts-off");
  }
  function beep() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    var audio = new Context();
    var tone = audio.createOscillator();
    var gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.2, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.6);
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.6);
  }
  function alertCritical(changes) {
    var critical = changes.filter(function (c) {
      return c.kind === "need" && c.action === "created" && c.detail === "critical";
    });
    if (!critical.length) return;
    box.setAttribute("data-critical-alerts",
                     String(Number(box.getAttribute("data-critical-alerts") || 0) + critical.length));
    if (!alertsOn()) return;
    beep();
    if (window.Notification && Notification.permission === "granted") {
      new Notification(text("critical"));
    }
  }
  if (sound) {
    sound.hidden = false;
    showAlertsButton();
    sound.addEventListener("click", function () {
      var on = !alertsOn();
      try { window.localStorage.setItem("live-alerts", on ? "on" : "off"); } catch (e) { /* private mode */ }
      if (on && window.Notification && Notification.permission === "default") {
        Notification.requestPermission();
      }
      showAlertsButton();
    });
  }

  // --- new needs: marked until seen --------------------------------------------------
  var badge = document.getElementById("live-new-badge");
  function markNew() {
    document.querySelectorAll("[data-need]").forEach(function (row) {
      var id = row.getAttribute("data-need");
      if (row.hasAttribute("data-new")) shownNew[id] = true;
      else if (shownNew[id] && badge) {
        row.setAttribute("data-new", "");
        var place = row.querySelector("[data-new-badge]");
        if (place) place.appendChild(badge.content.cloneNode(true));
      }
    });
  }
  var report = null;
  function sendSeen() {
    report = null;
    var ids = Object.keys(toReport);
    if (!ids.length) return;
    toReport = {};
    var body = new FormData();
    body.append("csrf_token", csrf());
    ids.forEach(function (id) { body.append("need", id); });
    fetch(box.getAttribute("data-seen"), {method: "POST", body: body, credentials: "same-origin",
                                           headers: {"X-CSRFToken": csrf()}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (answer) { if (answer) showCount(answer.new_needs); })
      .catch(function () { ids.forEach(function (id) { toReport[id] = true; }); });
  }
  var watcher = window.IntersectionObserver ? new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      var row = entry.target;
      clearTimeout(row.liveSeenTimer);
      if (!entry.isIntersecting) return;
      // on screen for a moment, in a visible tab: seen
      row.liveSeenTimer = setTimeout(function () {
        if (document.visibilityState !== "visible") return;
        toReport[row.getAttribute("data-need")] = true;
        watcher.unobserve(row);
        if (!report) report = setTimeout(sendSeen, 500);
      }, 1000);
    });
  }, {threshold: 0.6}) : null;
  function watchSeen() {
    if (!watcher) return;
    document.querySelectorAll("[data-need][data-new]").forEach(function (row) {
      if (!row.liveWatched) { row.liveWatched = true; watcher.observe(row); }
    });
  }

  // --- redrawing the live regions ----------------------------------------------------
  function typing(region) {
    var active = document.activeElement;
    if (active && region.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) &&
        !/^(checkbox|radio|submit|button)$/.test(active.type)) return true;
    return Array.prototype.some.call(region.querySelectorAll("input, textarea"), function (el) {
      return !/^(checkbox|radio|submit|button|hidden)$/.test(el.type) && el.value !== el.defaultValue;
    });
  }
  function same(el) {
    if (el.id) return "#" + CSS.escape(el.id);
    if (el.name) return el.tagName.toLowerCase() + "[name='" + CSS.escape(el.name) + "']" +
      (el.value ? "[value='" + CSS.escape(el.value) + "']" : "");
    if (el.getAttribute("href")) return "a[href='" + CSS.escape(el.getAttribute("href")) + "']";
    return null;
  }
  function keepChoices(old, fresh) {
    old.querySelectorAll("input[type=checkbox], input[type=radio]").forEach(function (el) {
      var selector = same(el);
      var twin = selector && fresh.querySelector(selector);
      if (twin) twin.checked = el.checked;
    });
  }
  var pageTag = null;
  function drawn() {
    box.setAttribute("data-redrawn", String(Number(box.getAttribute("data-redrawn") || 0) + 1));
  }
  function redraw() {
    if (drawing) { waiting = true; return; }
    drawing = true;
    waiting = false;
    var headers = {"X-Live-Redraw": "1"};
    // the page as last fetched: unchanged, the server answers 304 and nothing is drawn
    if (pageTag) headers["If-None-Match"] = pageTag;
    fetch(window.location.href, {credentials: "same-origin", cache: "no-store",
                                 headers: headers})
      .then(function (r) {
        if (r.status === 304) return null;
        if (r.status >= 500 || r.redirected) throw new Error("page " + r.status);
        pageTag = r.headers.get("ETag");
        return r.text();
      })
      .then(function (html) {
        if (html === null) return drawn();
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live-region][id]").forEach(function (old) {
          var next = fresh.getElementById(old.id);
          if (!next || !old.isConnected) return;  // inside a region already redrawn
          if (typing(old)) { waiting = true; return; }
          var active = document.activeElement;
          var focus = active && old.contains(active) ? same(active) : null;
          keepChoices(old, next);
          var node = document.importNode(next, true);
          old.replaceWith(node);
          var twin = focus && node.querySelector(focus);
          if (twin) twin.focus({preventScroll: true});
        });
        var data = fresh.getElementById("map-data");
        var mine = document.getElementById("map-data");
        if (data && mine && data.textContent !== mine.textContent) {
          mine.textContent = data.textContent;
          document.dispatchEvent(new CustomEvent("live:map-data",
                                                 {detail: JSON.parse(data.textContent)}));
        }
        markNew();
        watchSeen();
        drawn();
      })
      .catch(function () { waiting = true; })
      .then(function () { drawing = false; });
  }

  // --- following the feed -------------------------------------------------------------
  var timer = null;
  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(poll, ms);
  }
  function poll() {
    fetch(box.getAttribute("data-feed") + "?after=" + cursor,
          {credentials: "same-origin", cache: "no-store", headers: {"Accept": "application/json"}})
      .then(function (r) {
        if (!r.ok || r.redirected) throw new Error("feed " + r.status);
        return r.json();
      })
      .then(function (answer) {
        setState("online");
        delay = every;
        var kinds = interests();
        var relevant = answer.reset || answer.changes.some(function (c) {
          return kinds.indexOf(c.kind) >= 0;
        });
        alertCritical(answer.changes);
        cursor = answer.cursor;
        box.setAttribute("data-cursor", String(cursor));
        showCount(answer.new_needs);
        if (relevant || waiting) redraw();
        schedule(answer.more ? 0 : every);
      })
      .catch(function () {
        // the network or the server is away: try again, less often, from the same cursor
        setState("offline");
        delay = Math.min(delay * 2, 15000);
        schedule(delay);
      });
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") schedule(0);
  });
  window.addEventListener("online", function () { schedule(0); });

  markNew();
  watchSeen();
  schedule(every);
})();
