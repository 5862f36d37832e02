/* An outbox in IndexedDB, shared by the shelter tablet (tablet.js) and an evacuee's
   report page (report.js): what is recorded waits here, in order, until the server has
   it. Each page names its own database. */
(function () {
  "use strict";
  if (!window.indexedDB) return;

  window.DisasterOutbox = function (databaseName) {
    function withStore(mode, action) {
      return new Promise(function (resolve, reject) {
        var opening = indexedDB.open(databaseName, 1);
        opening.onupgradeneeded = function () {
          opening.result.createObjectStore("outbox", {keyPath: "seq", autoIncrement: true});
        };
        opening.onerror = function () { reject(opening.error); };
        opening.onsuccess = function () {
          var db = opening.result;
          var transaction = db.transaction("outbox", mode);
          var request = action(transaction.objectStore("outbox"));
          transaction.oncomplete = function () { db.close(); resolve(request.result); };
          transaction.onerror = function () { db.close(); reject(transaction.error); };
        };
      });
    }
    return {
      // every item, oldest first
      all: function () {
        return withStore("readonly", function (s) { return s.getAll(); }).then(function (all) {
          return all.sort(function (a, b) { return a.seq - b.seq; });
        });
      },
      add: function (item) { return withStore("readwrite", function (s) { return s.add(item); }); },
      put: function (item) { return withStore("readwrite", function (s) { return s.put(item); }); },
      remove: function (seq) {
        return withStore("readwrite", function (s) { return s.delete(seq); });
      }
    };
  };

  // A client id for a record: getRandomValues works on plain HTTP too (crypto.subtle
  // does not).
  window.DisasterOutbox.newId = function (prefix) {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return prefix + Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  };
})();
