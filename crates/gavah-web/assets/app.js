// Live timeline: new entries arrive as server-sent events and are put on top.
// The pages work without this script; it only saves a reload.
(function () {
  "use strict";
  var list = document.getElementById("timeline");
  if (!list || !window.EventSource) return;
  var lang = document.documentElement.lang === "fa" ? "fa" : "en";
  var source = new EventSource("/api/v1/events?lang=" + lang);
  source.addEventListener("timeline", function (e) {
    var data;
    try { data = JSON.parse(e.data); } catch (_) { return; }
    if (!data.html || list.querySelector('[data-id="' + data.item.id + '"]')) return;
    var holder = document.createElement("ol");
    holder.innerHTML = data.html;
    var item = holder.firstElementChild;
    if (!item) return;
    item.classList.add("new");
    list.insertBefore(item, list.firstChild);
  });
})();
