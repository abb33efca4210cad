/* Province map: draws the provinces of a GeoJSON FeatureCollection with Leaflet, without any tile server.
 *
 * <div id="province-map" data-geojson="/api/taxonomy/provinces.geojson?region=ITC4"
 *      data-concept-base="/taxonomy/concepts/" data-permanent-labels="true" data-attribution="...">
 *
 * Each province links to its concept page (concept base + NUTS 3 code); its name shows as a label (few
 * provinces) or a tooltip (many). When drawn, the container gets data-shapes="<number of provinces>".
 */
(function () {
  "use strict";

  var STYLE = { color: "#0066cc", weight: 1.5, fillColor: "#0066cc", fillOpacity: 0.12 };
  var HOVER = { weight: 3, fillOpacity: 0.35 };

  function draw(el) {
    if (typeof L === "undefined") { return; }
    var permanent = el.dataset.permanentLabels === "true";
    var base = el.dataset.conceptBase || "";
    fetch(el.dataset.geojson, { headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (collection) {
        el.textContent = "";
        var map = L.map(el, { zoomSnap: 0.25, attributionControl: true, scrollWheelZoom: false });
        map.attributionControl.setPrefix(false);
        var layer = L.geoJSON(collection, {
          style: function () { return STYLE; },
          onEachFeature: function (feature, shape) {
            var p = feature.properties;
            shape.bindTooltip(permanent ? p.name : p.name + (p.sigla ? " (" + p.sigla + ")" : ""), {
              permanent: permanent, direction: "center", className: "province-label"
            });
            shape.on({
              mouseover: function () { shape.setStyle(HOVER); },
              mouseout: function () { layer.resetStyle(shape); },
              click: function () { window.location.href = base + encodeURIComponent(p.nuts3); }
            });
          }
        }).addTo(map);
        if (el.dataset.attribution) { map.attributionControl.addAttribution(el.dataset.attribution); }
        map.fitBounds(layer.getBounds(), { padding: [12, 12] });
        el.dataset.shapes = String(collection.features.length);
      })
      .catch(function (error) {
        el.dataset.error = String(error);
      });
  }

  function start() {
    var el = document.getElementById("province-map");
    if (el) { draw(el); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
