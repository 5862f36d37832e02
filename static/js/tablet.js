/* The shelter tablet, with or without network. What is recorded goes first to an
   outbox in IndexedDB, then to the server, in order. A need carries its client id,
   so sending it twice records it once; a head count or a status change carries what
   the tablet saw, so a change made at the center meanwhile comes back as a conflict
   for the volunteer to decide: never overwritten in silence. Without this script
   the forms post as usual. */
(function () {
  "use strict";
  var O = window.DisasterOffline;
  var root = document.querySelector(".tablet[data-shelter]");
  if (!O || !root || !window.indexedDB) return;
  var text = O.text;
  var shelterId = root.getAttribute("data-shelter");
  var api = root.getAttribute("data-api");
  var outbox = document.getElementById("outbox");
  var message = document.getElementById("tablet-message");
  var flushing = false;
  var signedOut = false;

  // --- the outbox in IndexedDB (outbox.js) --------------------------------------------
  var store = window.DisasterOutbox && window.DisasterOutbox("disaster-support");
  if (!store) return;
  function items() {
    return store.all().then(function (all) {
      return all.filter(function (i) { return i.shelter === shelterId; });
    });
  }
  var add = store.add, put = store.put, remove = store.remove;
  function newId() { return window.DisasterOutbox.newId("t"); }

  function csrf() {
    var input = document.querySelector(".tablet input[name=csrf_token]");
    return input ? input.value : "";
  }

  function say(words, kind) {
    message.textContent = words;
    message.className = "flash " + (kind || "success");
    message.hidden = !words;
  }

  function people(n) {
    return O.fill(Number(n) === 1 ? text.person_one : text.person_other, {num: n});
  }

  // --- recording ---------------------------------------------------------------------
  function tileText(form, name) {
    var input = form.querySelector("input[name=" + name + "]:checked");
    var span = input && input.parentNode.querySelector("span");
    return span ? span.textContent.trim() : "";
  }

  function queueNeed(form, submitter) {
    var data = new FormData(form);
    var count = submitter && submitter.value !== "more" ? submitter.value : data.get("people_more");
    var body = {client_id: data.get("client_id"), shelter_id: shelterId,
                category: data.get("category"), language: data.get("language"),
                people: /^\d+$/.test(count || "") ? Number(count) : count,
                urgency: data.get("urgency") || "normal"};
    if (data.get("note")) body.note = data.get("note");
    var item = {shelter: shelterId, kind: "need", method: "POST", url: api + "/needs",
                body: body, state: "waiting", queued: new Date().toISOString(),
                label: {what: tileText(form, "category") || form.getAttribute("data-what"),
                        language: tileText(form, "language") || form.getAttribute("data-language"),
                        num: count}};
    // A fresh form and a new id at once: a second tap cannot send this need again.
    form.reset();
    form.querySelector("input[name=client_id]").value = newId();
    return add(item);
  }

  function queueHeadcount(form) {
    var body = {languages: {}}, expected = {languages: {}};
    form.querySelectorAll("input[name=evacuees], input[name^='lang-']").forEach(function (input) {
      if (input.name === "evacuees") {
        body.evacuees = input.value;
        expected.evacuees = input.defaultValue;
      } else {
        body.languages[input.name.slice(5)] = input.value;
        expected.languages[input.name.slice(5)] = input.defaultValue;
      }
    });
    return items().then(function (all) {
      // Several offline updates of the head counts make one, checked against what
      // the tablet saw first.
      var waiting = all.filter(function (i) { return i.kind === "headcount" && i.state === "waiting"; })[0];
      if (waiting) {
        waiting.body = Object.assign(body, {expected: waiting.body.expected});
        return put(waiting);
      }
      body.expected = expected;
      return add({shelter: shelterId, kind: "headcount", method: "PATCH",
                  url: api + "/shelters/" + encodeURIComponent(shelterId), body: body,
                  state: "waiting", queued: new Date().toISOString(), label: {}});
    });
  }

  function queueStatus(form, submitter) {
    var need = form.closest("[data-need]");
    var body = {status: submitter.value, expected_status: need.getAttribute("data-status")};
    var reason = form.querySelector("input[name=reason]");
    if (reason && reason.value) body.reason = reason.value;
    need.classList.add("pending");
    return add({shelter: shelterId, kind: "status", method: "PATCH",
                url: api + "/needs/" + need.getAttribute("data-need"), body: body,
                state: "waiting", queued: new Date().toISOString(),
                label: {id: need.getAttribute("data-need"), status: submitter.textContent.trim(),
                        what: (need.querySelector(".what") || need).textContent.trim()}});
  }

  // A patrol team's visit: counts met, notices handed over, a note, a follow-up. Its
  // client id makes a second sending record nothing, like a need's.
  function queueVisit(form) {
    var data = new FormData(form);
    var counts = {}, met = 0;
    form.querySelectorAll("input[name^='met-']").forEach(function (input) {
      if (input.value.trim()) {
        counts[input.name.slice(4)] = /^\d+$/.test(input.value.trim()) ?
          Number(input.value.trim()) : input.value;
        met += Number(input.value) || 0;
      }
    });
    var body = {client_id: data.get("client_id"), place_id: shelterId,
                team_id: Number(form.getAttribute("data-team")), languages: counts,
                notices: data.getAll("notices").map(Number), note: data.get("note") || "",
                follow_up: data.get("follow_up") || "", at: new Date().toISOString()};
    form.reset();
    form.querySelector("input[name=client_id]").value = newId();
    return add({shelter: shelterId, kind: "visit", method: "POST",
                url: form.getAttribute("data-visits"), body: body, state: "waiting",
                queued: new Date().toISOString(), label: {num: met}});
  }

  // "Posted on the wall": kept like a need, sent once the network is there (the server
  // keeps one confirmation per notice and place, so a second send changes nothing)
  function queuePosted(form) {
    var button = form.querySelector("button");
    if (button) button.disabled = true;
    return add({shelter: shelterId, kind: "posted", method: "POST",
                url: form.getAttribute("action"), body: {}, state: "waiting",
                queued: new Date().toISOString(),
                label: {title: form.getAttribute("data-title"),
                        done: form.getAttribute("data-done")}});
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var queued = null;
    if (form.classList.contains("posted-form")) queued = queuePosted(form);
    else if (form.classList.contains("visit-form")) queued = queueVisit(form);
    else if (form.classList.contains("need-form")) queued = queueNeed(form, event.submitter);
    else if (form.classList.contains("headcount")) queued = queueHeadcount(form);
    else if (form.closest("#needs") && event.submitter && event.submitter.name === "status") {
      queued = queueStatus(form, event.submitter);
    }
    if (!queued) return;
    event.preventDefault();
    queued.then(function () {
      if (!O.online()) say(text.kept, "info");
      return render();
    }).then(function () {
      // back to step 1, with what is waiting and the answer in view
      var record = document.getElementById("record");
      if (form.classList.contains("need-form") && record) {
        (outbox.hidden ? message : outbox).scrollIntoView({block: "nearest"});
        record.scrollIntoView({block: "start"});
      }
      return flush();
    });
  });

  // --- sending -------------------------------------------------------------------
  function messages(answer) {
    var parts = [answer.error || ""];
    Object.keys(answer.errors || {}).forEach(function (k) { parts.push(answer.errors[k]); });
    return parts.filter(Boolean).join(" ");
  }

  function sent(item, answer) {
    localStorage.setItem("ds-last-sent", new Date().toISOString());
    if (item.kind === "need") {
      say(answer.created === false ? text.duplicate : O.fill(
        Number(item.label.num) === 1 ? text.recorded_one : text.recorded_other, item.label));
    } else if (item.kind === "headcount") {
      say(text.headcount_saved);
    } else if (item.kind === "visit") {
      say(answer.created === false ? text.visit_duplicate : text.visit_saved);
    } else if (item.kind === "posted") {
      say(item.label.done);
    } else {
      say(O.fill(text.status_saved, item.label));
    }
  }

  function flush() {
    if (flushing || signedOut) return Promise.resolve();
    flushing = true;
    var count = 0;
    function next(queue) {
      var item = queue.shift();
      if (!item) return Promise.resolve();
      if (item.state !== "waiting") return next(queue);
      return fetch(item.url, {
        method: item.method, credentials: "same-origin",
        headers: {"Content-Type": "application/json", "Accept": "application/json",
                  "X-CSRFToken": csrf()},
        body: JSON.stringify(item.body)
      }).then(function (response) {
        O.reachable(true);
        return response.json().catch(function () { return {}; }).then(function (answer) {
          if (response.ok) {
            count += 1;
            sent(item, answer);
            return remove(item.seq).then(function () { return next(queue); });
          }
          if (response.status === 401) { signedOut = true; return null; }
          if (response.status >= 500 || response.status === 429) return null;  // later
          if (answer.errors && answer.errors.csrf_token && !item.renewed) {
            // the page's form token is stale: take a fresh page's, try once more
            item.renewed = true;
            return refresh().then(function () { queue.unshift(item); return next(queue); });
          }
          item.state = response.status === 409 ? "conflict" : "refused";
          item.message = messages(answer);
          return put(item).then(function () { return next(queue); });
        });
      }, function () {
        O.reachable(false);  // no network: everything stays in the outbox
        return null;
      });
    }
    return items().then(next).catch(function () { return null; }).then(function () {
      flushing = false;
      return render();
    }).then(function () {
      if (count) return refresh();
    });
  }

  // The shelter's needs and head counts as the server has them now (the service
  // worker keeps this copy too).
  function refresh() {
    return fetch(location.pathname + location.search, {credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      }).then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        ["needs", "wall"].forEach(function (id) {
          var theirs = fresh.getElementById(id), mine = document.getElementById(id);
          if (theirs && mine) mine.innerHTML = theirs.innerHTML;
        });
        var jump = fresh.querySelector("nav.jump"), myJump = document.querySelector("nav.jump");
        if (jump && myJump) myJump.innerHTML = jump.innerHTML;
        var bar = fresh.getElementById("connection");
        if (bar && document.getElementById("connection")) document.getElementById("connection").setAttribute(
          "data-rendered-at", bar.getAttribute("data-rendered-at"));
        var token = fresh.querySelector("input[name=csrf_token]");
        if (token) document.querySelectorAll("input[name=csrf_token]").forEach(function (input) {
          input.value = token.value;
        });
        var form = document.querySelector("form.headcount");
        var freshForm = fresh.querySelector("form.headcount");
        if (form && freshForm && !form.contains(document.activeElement)) {
          form.innerHTML = freshForm.innerHTML;
        }
        O.update();
        return render();
      }).catch(function () { return null; });
  }

  // --- what is waiting, and what needs a decision ----------------------------------
  function node(tag, attrs, children) {
    var element = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { element.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) {
      if (c !== null && c !== undefined) {
        element.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
      }
    });
    return element;
  }

  function describe(item) {
    if (item.kind === "need") {
      return [item.label.what, item.label.language, people(item.label.num)].join(" · ");
    }
    if (item.kind === "status") return item.label.what + " → " + item.label.status;
    if (item.kind === "visit") return O.fill(text.visit, item.label);
    if (item.kind === "posted") return item.label.title;
    var heading = document.querySelector("#headcount h2");
    return heading ? heading.textContent : "";
  }

  function render() {
    return items().then(function (all) {
      var waiting = all.filter(function (i) { return i.state === "waiting"; });
      var decide = all.filter(function (i) { return i.state !== "waiting"; });
      outbox.hidden = !all.length && !signedOut;
      outbox.innerHTML = "";
      if (signedOut) outbox.appendChild(node("p", {class: "flash error"}, [text.signed_out]));
      if (waiting.length) {
        var button = node("button", {type: "button", class: "primary send-now"}, [text.send_now]);
        button.addEventListener("click", flush);
        outbox.appendChild(node("p", {class: "waiting"}, [
          node("strong", {}, [O.fill(text.waiting, {num: waiting.length})]), " ", button]));
        outbox.appendChild(node("ul", {class: "queued"}, waiting.map(function (i) {
          return node("li", {}, [describe(i), " ", node("span", {class: "badge"}, [text.queued])]);
        })));
      }
      decide.forEach(function (item) {
        var again = node("button", {type: "button"}, [text.send_anyway]);
        var dismiss = node("button", {type: "button"}, [text.dismiss]);
        again.addEventListener("click", function () {
          delete item.body.expected;
          delete item.body.expected_status;
          if (item.kind === "need") item.body.confirm_personal = true;
          item.state = "waiting";
          put(item).then(render).then(flush);
        });
        dismiss.addEventListener("click", function () { remove(item.seq).then(render); });
        outbox.appendChild(node("div", {class: "decide " + item.state}, [
          node("p", {}, [node("strong", {}, [item.state === "conflict" ? text.conflict : text.refused]),
                         " ", describe(item)]),
          node("p", {}, [item.message]), again, " ", dismiss]));
      });
      document.documentElement.setAttribute("data-outbox", String(waiting.length));
    });
  }

  window.addEventListener("online", flush);
  setInterval(function () { if (!flushing) flush(); }, 20000);
  render().then(flush);
})();
