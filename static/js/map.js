/* Fills the layers folium made (disaster_support/maps/build.py) from the page's
   JSON: shelters, unmet needs in one chosen language, checked-in volunteers.
   Popups, tooltips and badges are DOM nodes with text, never HTML from data: Leaflet
   sets a string given to bindTooltip, bindPopup or divIcon as innerHTML. */
(function () {
  "use strict";

  function node(tag, attrs, children) {
    var element = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (attrs[key] !== null && attrs[key] !== undefined) element.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      element.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
    });
    return element;
  }

  // Leaflet's layer control and attribution take HTML strings only: hand them the
  // text escaped by the browser's own serializer.
  function escaped(text) {
    return node("span", {}, [text]).innerHTML;
  }

  // A flat list of numbers in groups of n: [[a, b], [c, d]].
  function groups(flat, n) {
    var out = [];
    for (var i = 0; i < (flat || []).length; i += n) out.push(flat.slice(i, i + n));
    return out;
  }

  function records(fields, rows) {
    return rows.map(function (row) {
      var record = {};
      fields.forEach(function (field, i) { record[field] = row[i]; });
      return record;
    });
  }

  function badge(className, count) {
    var size = count > 99 ? 40 : 32;
    return L.divIcon({className: className, html: node("span", {}, [Number(count)]),
                      iconSize: L.point(size, size)});
  }

  // Circle area grows with the number of evacuees, within readable bounds.
  function radius(evacuees) {
    return Math.min(22, 6 + Math.sqrt(evacuees || 0) * 0.8);
  }

  function start(kind, parts) {
    var data = JSON.parse(document.getElementById("map-data").textContent);  // live: replaced
    var labels = data.labels;
    var numbers = new Intl.NumberFormat(document.documentElement.lang.replace("-x-easy", ""));
    var map = parts.map;
    var pending = 0;
    // A page about a few places (a volunteer's shelter) shows them, not the whole city.
    if (data.focus) map.fitBounds(data.focus, {maxZoom: 16, animate: false});

    function ready() {
      // when every marker is in: milliseconds since the page started (tests, bench/maps.py)
      if (pending === 0) {
        document.documentElement.setAttribute("data-map-ready", String(Math.round(performance.now())));
      }
    }

    function fill(group, markers) {
      // chunkedLoading adds thousands of markers without freezing the page;
      // the page is "ready" (for tests and benchmarks) when every chunk is in.
      if (!markers.length || !map.hasLayer(group)) { group.addLayers(markers); return; }
      pending += 1;
      group.options.chunkProgress = function (done, total) {
        if (done === total) { group.options.chunkProgress = null; pending -= 1; ready(); }
      };
      group.addLayers(markers);
    }

    function languageName(tag) { return labels.languages[tag] || tag; }
    function number(n) { return numbers.format(n); }
    function link(template, id, text) {
      return node("a", {href: template.replace("__ID__", encodeURIComponent(id))}, [text]);
    }
    function names(shelter) {
      return [node("h3", {lang: "ja"}, [shelter.name]),
              shelter.alt ? node("p", {class: "alt", lang: labels.alt_lang}, [shelter.alt]) : null];
    }

    if (parts.wards) {
      // Ward names under the markers, not over them (tooltips have their own top pane).
      map.createPane("ward-labels").style.zIndex = 350;
      parts.wards.eachLayer(function (layer) {
        var element = layer.getElement && layer.getElement();
        if (element) element.classList.add("ward");
        if (layer.feature.properties.label) {
          layer.bindTooltip(node("span", {}, [layer.feature.properties.label]),
                            {permanent: true, direction: "center", className: "ward-label",
                             pane: "ward-labels"});
        }
      });
    }
    if (data.attribution) map.attributionControl.addAttribution(escaped(data.attribution));

    var shelters = records(data.fields, data.shelters);
    // the coordinator's page follows the change feed (live.js) and hands over new data
    document.addEventListener("live:map-data", function (event) {
      data = event.detail;
      shelters = records(data.fields, data.shelters);
      byId = {};
      shelters.forEach(function (s) { byId[s.id] = s; });
      drawShelters();
      if (parts.needs && chooser && chooser.value) showLanguage(chooser.value);
      drawVolunteers();
    });
    function needsOf(id) {
      return records(data.need_fields, groups(data.needs[id], 5)).map(function (n) {
        n.language = data.languages[n.language];
        n.category = data.categories[n.category];
        return n;
      });
    }
    var byId = {};
    shelters.forEach(function (s) { byId[s.id] = s; });

    function shelterPopup(s) {
      var box = node("div", {class: "map-popup"}, names(s));
      box.appendChild(node("p", {}, [node("span", {class: "status status-" + s.status},
                                          [labels.statuses[s.status]])]));
      if (kind === "public") {
        if (s.address) {
          box.appendChild(node("p", {class: "address"}, [labels.address + ": ",
                                                           node("span", {lang: "ja"}, [s.address])]));
        }
        box.appendChild(node("p", {}, [link(data.urls.board, s.id, labels.board)]));
        return box;
      }
      if (labels.kinds && s.kind) {
        box.appendChild(node("p", {class: "kind"}, [labels.kinds[s.kind] || s.kind]));
      }
      if (s.approx) box.appendChild(node("p", {class: "approx"}, [labels.approximate]));
      box.appendChild(node("p", {}, [labels.evacuees + ": " + number(s.evacuees) + " · " +
                                     labels.foreign + ": " + number(s.foreign)]));
      var foreign = groups(data.foreign[s.id], 2);
      if (foreign.length) {
        box.appendChild(node("p", {class: "langs"}, foreign.map(function (f) {
          return node("span", {class: "lang"}, [languageName(data.languages[f[0]]) + " " + number(f[1])]);
        })));
      }
      var needs = needsOf(s.id);
      if (needs.length) {
        box.appendChild(node("h4", {}, [labels.needs]));
        box.appendChild(needTable(needs, true));
      } else {
        box.appendChild(node("p", {}, [labels.no_unmet_needs]));
      }
      box.appendChild(node("p", {}, [link(data.urls.shelter, s.id, labels.shelter_page)]));
      return box;
    }

    function needTable(needs, withLanguage) {
      var head = (withLanguage ? [labels.language] : []).concat([labels.what, labels.count, labels.people]);
      return node("table", {}, [
        node("thead", {}, [node("tr", {}, head.map(function (h) { return node("th", {scope: "col"}, [h]); }))]),
        node("tbody", {}, needs.map(function (n) {
          return node("tr", {class: n.critical ? "critical" : null}, [
            withLanguage ? node("td", {}, [languageName(n.language)]) : null,
            node("td", {}, [labels.categories[n.category] || n.category]),
            node("td", {class: "num"}, [number(n.needs) + (n.critical ? " (" + labels.critical + " " + number(n.critical) + ")" : "")]),
            node("td", {class: "num"}, [number(n.people)])
          ]);
        }))]);
    }

    // Shelters: colour by unmet needs, outline by status, size by evacuees.
    parts.shelters.options.iconCreateFunction = function (cluster) {
      var worst = 0;
      cluster.getAllChildMarkers().forEach(function (m) {
        if (m.options.level > worst) worst = m.options.level;
      });
      return badge("shelter-cluster lvl-" + (kind === "public" ? "public" : worst),
                   cluster.getChildCount());
    };
    function drawShelters() {
      parts.shelters.clearLayers();
      fill(parts.shelters, shelters.map(function (s) {
        var level = kind === "public" ? "public" : s.level;
        return L.circleMarker([s.lat, s.lon], {
          radius: kind === "public" ? 8 : radius(s.evacuees), level: s.level || 0,
          className: "shelter lvl-" + level + " st-" + s.status +
            (s.kind ? " kind-" + s.kind : "") + (s.approx ? " approx" : ""), weight: 2
        }).bindPopup(function () { return shelterPopup(s); }, {maxWidth: 360})
          .bindTooltip(function () { return node("span", {lang: "ja"}, [s.name]); },
                       {direction: "top"});
      }));
    }
    drawShelters();

    // Unmet needs of one language, chosen in the form beside the map.
    var chooser = document.getElementById("need-language");
    function needsLabel(tag) {
      return labels.needs + (tag ? ": " + languageName(tag) : "");
    }
    function showLanguage(tag) {
      parts.needs.clearLayers();
      parts.control.removeLayer(parts.needs);
      parts.control.addOverlay(parts.needs, escaped(needsLabel(tag)));
      if (!tag) { map.removeLayer(parts.needs); return; }
      var markers = [];
      shelters.forEach(function (s) {
        if (!data.needs[s.id]) return;
        var rows = needsOf(s.id).filter(function (n) {
          return n.language === tag;
        });
        if (!rows.length) return;
        var count = 0, critical = 0;
        rows.forEach(function (n) { count += n.needs; critical += n.critical; });
        markers.push(L.marker([s.lat, s.lon], {
          icon: badge("need-badge lvl-" + (critical ? 2 : 1), count), count: count,
          critical: critical, keyboard: true, title: s.name
        }).bindPopup(function () {
          var box = node("div", {class: "map-popup"}, names(s));
          box.appendChild(node("h4", {}, [needsLabel(tag)]));
          box.appendChild(needTable(rows, false));
          box.appendChild(node("p", {}, [link(data.urls.shelter, s.id, labels.shelter_page)]));
          return box;
        }));
      });
      map.addLayer(parts.needs);
      fill(parts.needs, markers);
      // how many needs the markers add up to (tests wait on it as the map redraws)
      document.documentElement.setAttribute("data-needs-shown", String(markers.reduce(
        function (sum, m) { return sum + m.options.count; }, 0)));
    }
    if (parts.needs) {
      parts.needs.options.iconCreateFunction = function (cluster) {
        var count = 0, critical = 0;
        cluster.getAllChildMarkers().forEach(function (m) {
          count += m.options.count; critical += m.options.critical;
        });
        return badge("need-badge lvl-" + (critical ? 2 : 1), count);
      };
      if (chooser) {
        chooser.addEventListener("change", function () {
          showLanguage(chooser.value);
          var url = new URL(window.location.href);
          if (chooser.value) url.searchParams.set("language", chooser.value);
          else url.searchParams.delete("language");
          window.history.replaceState(null, "", url);
        });
        var button = document.getElementById("need-language-show");
        if (button) button.hidden = true;
        if (chooser.value) showLanguage(chooser.value);
      }
    }

    // Volunteers checked in, grouped where they are.
    function drawVolunteers() {
      if (!parts.volunteers) return;
      parts.volunteers.clearLayers();
      (data.volunteers || []).forEach(function (place) {
        L.marker([place[0], place[1]], {
          icon: badge("volunteer-badge", place[3].length), keyboard: true,
          title: place[2] || labels.center
        }).bindPopup(function () {
          var box = node("div", {class: "map-popup"}, [
            node("h3", {lang: place[2] ? "ja" : null}, [place[2] || labels.center]),
            node("h4", {}, [labels.volunteers])]);
          box.appendChild(node("ul", {}, place[3].map(function (v) {
            return node("li", {}, [link(data.urls.volunteer, v[0], v[1]),
                                   v[2].length ? " — " + v[2].map(languageName).join(", ") : ""]);
          })));
          return box;
        }).addTo(parts.volunteers);
      });
    }
    drawVolunteers();

    // The legend, as a control on the map (it sits under the map without script).
    var legend = document.getElementById("map-legend");
    if (legend) {
      var control = L.control({position: "bottomleft"});
      control.onAdd = function () {
        L.DomEvent.disableClickPropagation(legend);
        L.DomEvent.disableScrollPropagation(legend);
        return legend;
      };
      control.addTo(map);
      // folded on a phone (as rendered), open where there is room for it
      if (kind === "public" && window.matchMedia("(min-width: 48rem)").matches) legend.open = true;
    }
    if (kind === "public") nearest(labels);
    ready();
  }

  // The public list of open shelters: on a button press, the distance from the phone's
  // position to each (navigator.geolocation; the position never leaves the phone), nearest first.
  function nearest(labels) {
    var section = document.getElementById("open-shelters");
    var button = section && section.querySelector("button.locate");
    if (!button || !navigator.geolocation) return;
    var status = section.querySelector(".locate-status");
    var list = section.querySelector(".shelter-list");
    var km = new Intl.NumberFormat(document.documentElement.lang.replace("-x-easy", ""),
                                   {maximumFractionDigits: 1, minimumFractionDigits: 1});
    button.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = "";
      navigator.geolocation.getCurrentPosition(function (position) {
        sortByDistance(list, position.coords.latitude, position.coords.longitude, km);
      }, function () {
        status.textContent = labels.no_position;
      }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
    });
  }

  function distanceKm(lat1, lon1, lat2, lon2) {
    var rad = Math.PI / 180, dLat = (lat2 - lat1) * rad, dLon = (lon2 - lon1) * rad;
    var a = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 12742 * Math.atan2(Math.sqrt(a), Math.sqrt(1 - a));  // Earth's diameter, km
  }

  function sortByDistance(list, lat, lon, km) {
    var items = Array.prototype.slice.call(list.querySelectorAll("li[data-ll]"));
    items.forEach(function (li) {
      var at = li.getAttribute("data-ll").split(",").map(Number);
      li.distance = distanceKm(lat, lon, at[0], at[1]);
      var shown = li.querySelector(".distance");
      if (!shown) shown = li.appendChild(node("span", {class: "distance"}, []));
      shown.textContent = km.format(li.distance) + " km";
    });
    items.sort(function (a, b) { return a.distance - b.distance; });
    items.forEach(function (li) { list.appendChild(li); });
  }

  window.DisasterMap = {start: start};
})();
