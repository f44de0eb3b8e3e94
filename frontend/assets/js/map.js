// The offline map (DESIGN §13): the city's districts from GET /api/geo/districts drawn as
// SVG, with pins. No third-party tiles or script: only where the deployment names the city's
// own tile server (the collection's `tiles`, whose origin the CSP then allows) are its
// Web-Mercator tiles drawn under the districts. Pan and zoom by drag, pinch, wheel, the arrow
// keys, + and -, and the 放大 / 缩小 / 复位 buttons.
import { h, uid } from './dom.js';
import { get } from './api.js';

const SVG = 'http://www.w3.org/2000/svg';
const HOME_WIDTH = 1000; // user units across the city at zoom 1
const MAX_ZOOM = 32;
const CLICK_SLOP_PX = 6; // a pointer that moved less than this tapped, it did not drag
const CLUSTER_PX = 44;
const LABEL_PX = 13; // the names' font size (site.css .map-label) // pins closer than this on screen share a grid cell, so a cluster

const TILE_PX = 256; // a tile is drawn at about its own size on screen
const MAX_TILES = 48; // at most this many in view: a coarser level beyond it

function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.setAttribute('class', value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

let districtsPromise = null;

/** GET /api/geo/districts once per page: the FeatureCollection, or null when the city has no
 * boundaries (404), the answer has no polygon, or the request failed: the page then keeps
 * only the address field. */
export function loadDistricts() {
  if (!districtsPromise) {
    districtsPromise = get('/api/geo/districts')
      .then((fc) => (fc && Array.isArray(fc.features) && fc.features.some(polygonsOf) ? fc : null))
      .catch(() => null);
  }
  return districtsPromise;
}

// Web-Mercator tile numbers (the scheme every tile server uses) ↔ WGS-84 degrees.
const tileLng = (x, n) => (x / n) * 360 - 180;
const tileLat = (y, n) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / n))) * 180) / Math.PI;
const tileX = (lng, n) => Math.floor(((lng + 180) / 360) * n);
function tileY(lat, n) {
  const r = (Math.max(-85, Math.min(85, lat)) * Math.PI) / 180;
  return Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
}

/** The tiles covering [west, east] × [south, north] at the level where one is about TILE_PX
 * wide for ``pxPerDegree``, coarser while more than MAX_TILES would be needed. */
export function tilesFor({ west, east, south, north }, pxPerDegree, maxZoom = 18) {
  let z = Math.max(0, Math.min(maxZoom, Math.round(Math.log2((360 * pxPerDegree) / TILE_PX))));
  for (;;) {
    const n = 2 ** z;
    const within = (v) => Math.max(0, Math.min(n - 1, v));
    const [x0, x1] = [within(tileX(west, n)), within(tileX(east, n))];
    const [y0, y1] = [within(tileY(north, n)), within(tileY(south, n))];
    if (z === 0 || (x1 - x0 + 1) * (y1 - y0 + 1) <= MAX_TILES) {
      const found = [];
      for (let x = x0; x <= x1; x += 1) for (let y = y0; y <= y1; y += 1) found.push({ z, x, y });
      return found;
    }
    z -= 1;
  }
}

/** [[ring, …], …]: each polygon's rings ([lng, lat] pairs; the first is the outline). */
export function polygonsOf(feature) {
  const g = feature && feature.geometry;
  if (!g || !Array.isArray(g.coordinates)) return null;
  if (g.type === 'Polygon') return [g.coordinates];
  if (g.type === 'MultiPolygon') return g.coordinates;
  return null;
}

function inRing(ring, lng, lat) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > lat) !== (yj > lat) && lng < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** The feature whose polygon holds the point (holes excluded), or null. The server has the
 * final word on the district; the page uses this to fill the district select. */
export function districtAt(fc, lng, lat) {
  for (const feature of (fc && fc.features) || []) {
    for (const [outline, ...holes] of polygonsOf(feature) || []) {
      if (inRing(outline, lng, lat) && !holes.some((hole) => inRing(hole, lng, lat))) return feature;
    }
  }
  return null;
}

/**
 * Equirectangular projection scaled by cos(latitude) at the collection's centre: at city
 * scale a kilometre is as long north–south as east–west. x grows east, y grows south.
 */
export function projection(fc) {
  let minLng = Infinity;
  let maxLng = -Infinity;
  let minLat = Infinity;
  let maxLat = -Infinity;
  for (const feature of fc.features) {
    for (const polygon of polygonsOf(feature) || []) {
      for (const [lng, lat] of polygon[0]) {
        minLng = Math.min(minLng, lng);
        maxLng = Math.max(maxLng, lng);
        minLat = Math.min(minLat, lat);
        maxLat = Math.max(maxLat, lat);
      }
    }
  }
  const k = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
  const scale = HOME_WIDTH / Math.max((maxLng - minLng) * k, 1e-9);
  return {
    width: HOME_WIDTH,
    height: (maxLat - minLat) * scale,
    project: (lng, lat) => [(lng - minLng) * k * scale, (maxLat - lat) * scale],
    invert: (x, y) => [minLng + x / (k * scale), maxLat - y / scale],
  };
}

const fixed = (n, places = 1) => Math.round(n * 10 ** places) / 10 ** places;

function pathOf(polygons, project) {
  return polygons.map((rings) => rings.map((ring) => `M${ring.map(([lng, lat]) => project(lng, lat).map((n) => fixed(n)).join(',')).join('L')}Z`).join('')).join('');
}

/** Where a district's name goes: the area centroid of its largest outline. */
function labelPoint(polygons, project) {
  let best = null;
  for (const [outline] of polygons) {
    const pts = outline.map(([lng, lat]) => project(lng, lat));
    let a = 0;
    let cx = 0;
    let cy = 0;
    for (let i = 0, j = pts.length - 1; i < pts.length; j = i, i += 1) {
      const f = pts[j][0] * pts[i][1] - pts[i][0] * pts[j][1];
      a += f;
      cx += (pts[j][0] + pts[i][0]) * f;
      cy += (pts[j][1] + pts[i][1]) * f;
    }
    if (a && (!best || Math.abs(a) > best.area)) best = { area: Math.abs(a), x: cx / (3 * a), y: cy / (3 * a) };
  }
  return best;
}

/** Pins closer than CLUSTER_PX on screen, by a grid anchored at the map's origin (so panning
 * never regroups them): [{x, y, pins: [...]}]. */
export function clusterPins(points, cellUnits) {
  const cells = new Map();
  for (const p of points) {
    const key = `${Math.floor(p.x / cellUnits)},${Math.floor(p.y / cellUnits)}`;
    if (!cells.has(key)) cells.set(key, []);
    cells.get(key).push(p);
  }
  return [...cells.values()].map((pins) => ({
    x: pins.reduce((sum, p) => sum + p.x, 0) / pins.length,
    y: pins.reduce((sum, p) => sum + p.y, 0) / pins.length,
    pins,
  }));
}

const PIN_SHAPE = 'M0,0C-3,-7 -9,-11 -9,-17A9,9 0 1 1 9,-17C9,-11 3,-7 0,0Z';

/**
 * drawMap(container, fc, {title, description, pins, onPick, onCluster, selected, cluster})
 * pins: [{lat, lng, label, href}]; with `href` a pin is a link. onPick({lng, lat}) is called
 * on a tap or click that did not drag, and on Enter with the map focused (its centre).
 * onCluster(pins, {byKeyboard}) follows a cluster's activation, which zooms in on it (the
 * cluster's own element is gone then: a keyboard user's focus belongs to what it shows).
 * cluster: group near pins (the board). selected: a district code to highlight. Returns
 * {setPin, setPins, show, select, centre, pointToLngLat, zoomBy, reset, destroy, svg}.
 */
export function drawMap(container, fc, options = {}) {
  const { title = '地图', description = '', onPick = null, onCluster = null, cluster = false } = options;
  const proj = projection(fc);
  const titleId = uid('map-title');
  const descId = uid('map-desc');
  const keys = onPick
    ? '方向键平移地图，加号和减号缩放，0 键复位，回车键在地图中心放置标记。'
    : '方向键平移地图，加号和减号缩放，0 键复位。';
  const tiles = fc.tiles && typeof fc.tiles.url === 'string' ? fc.tiles : null;
  const tilesLayer = s('g', { class: 'map-tiles', 'aria-hidden': 'true' });
  const tileImages = new Map(); // 'z/x/y' → <image>
  const districtsLayer = s('g', { class: 'map-districts' });
  const labelsLayer = s('g', { class: 'map-labels', 'aria-hidden': 'true' });
  const pinsLayer = s('g', { class: 'map-pins' });
  const crosshair = s('g', { class: 'map-crosshair', 'aria-hidden': 'true' },
    s('path', { d: 'M-12,0H-4M4,0H12M0,-12V-4M0,4V12' }));
  const svg = s('svg', {
    class: 'map-svg', tabindex: '0', role: 'application',
    'aria-labelledby': titleId, 'aria-describedby': descId,
  },
  s('title', { id: titleId }, title),
  s('desc', { id: descId }, `${description}${keys}`),
  tilesLayer, districtsLayer, labelsLayer, pinsLayer, crosshair);
  if (tiles) svg.classList.add('map-has-tiles');

  const labels = [];
  for (const feature of fc.features) {
    const polygons = polygonsOf(feature);
    if (!polygons) continue;
    const props = feature.properties || {};
    districtsLayer.append(s('path', { d: pathOf(polygons, proj.project), class: 'map-district', 'data-code': props.code || '' }));
    const at = labelPoint(polygons, proj.project);
    if (at && props.name) {
      const g = s('g', null, s('text', { class: 'map-label', 'text-anchor': 'middle', 'dominant-baseline': 'middle' }, props.name));
      // A name is shown once its district is wide enough on screen to hold it.
      const xs = polygons.flatMap(([outline]) => outline.map(([lng, lat]) => proj.project(lng, lat)[0]));
      const span = Math.max(...xs) - Math.min(...xs);
      labels.push({ g, x: at.x, y: at.y, span, needs: [...props.name].length * LABEL_PX + 8 });
      labelsLayer.append(g);
    }
  }

  const zoomIn = h('button', { type: 'button', class: 'btn btn-secondary btn-small', 'aria-label': '放大地图' }, '+');
  const zoomOut = h('button', { type: 'button', class: 'btn btn-secondary btn-small', 'aria-label': '缩小地图' }, '−');
  const home = h('button', { type: 'button', class: 'btn btn-secondary btn-small', 'aria-label': '复位地图' }, '复位');
  const tools = h('div', { class: 'map-tools', role: 'group', 'aria-label': '地图缩放' }, zoomIn, zoomOut, home);
  const attribution = tiles && tiles.attribution ? h('p', { class: 'map-attribution' }, tiles.attribution) : null;
  const frame = h('div', { class: 'map-frame' }, svg, tools, attribution);
  container.append(frame);

  // The view: its centre (user units) and zoom; the viewBox has the frame's aspect ratio, so
  // a pointer maps to the same point whatever the frame's size.
  const view = { x: proj.width / 2, y: proj.height / 2, zoom: 1 };
  let pins = [];
  let lastCell = null;

  function homeSize() {
    const w = svg.clientWidth || 1;
    const hgt = svg.clientHeight || 1;
    const aspect = hgt / w;
    const pad = 1.06;
    return proj.height / proj.width > aspect
      ? { w: (proj.height * pad) / aspect, h: proj.height * pad }
      : { w: proj.width * pad, h: proj.width * pad * aspect };
  }

  function box() {
    const size = homeSize();
    const w = size.w / view.zoom;
    const hgt = size.h / view.zoom;
    return { x: view.x - w / 2, y: view.y - hgt / 2, w, h: hgt };
  }

  /** Screen pixels per user unit at the current zoom. */
  const pxPerUnit = () => (svg.clientWidth || 1) / box().w;

  function clamp() {
    view.zoom = Math.min(MAX_ZOOM, Math.max(1, view.zoom));
    view.x = Math.min(proj.width, Math.max(0, view.x));
    view.y = Math.min(proj.height, Math.max(0, view.y));
  }

  const place = (g, x, y, unit) => g.setAttribute('transform', `translate(${fixed(x, 3)} ${fixed(y, 3)}) scale(${fixed(unit, 5)})`);

  /** The city's tiles under the view: those newly in view added, those out of it dropped. */
  function drawTiles(b) {
    if (!tiles || !svg.clientWidth) return;
    const [west, north] = proj.invert(b.x, b.y);
    const [east, south] = proj.invert(b.x + b.w, b.y + b.h);
    const wanted = tilesFor({ west, east, south, north }, svg.clientWidth / (east - west), tiles.max_zoom);
    const keep = new Set();
    for (const { z, x, y } of wanted) {
      const key = `${z}/${x}/${y}`;
      keep.add(key);
      if (tileImages.has(key)) continue;
      const n = 2 ** z;
      const [x0, y0] = proj.project(tileLng(x, n), tileLat(y, n));
      const [x1, y1] = proj.project(tileLng(x + 1, n), tileLat(y + 1, n));
      const href = tiles.url.replace('{z}', z).replace('{x}', x).replace('{y}', y);
      const image = s('image', { href, x: fixed(x0, 3), y: fixed(y0, 3), width: fixed(x1 - x0, 3), height: fixed(y1 - y0, 3), preserveAspectRatio: 'none' });
      tileImages.set(key, image);
      tilesLayer.append(image);
    }
    for (const [key, image] of tileImages) {
      if (!keep.has(key)) {
        image.remove();
        tileImages.delete(key);
      }
    }
  }

  function render() {
    clamp();
    const b = box();
    svg.setAttribute('viewBox', `${b.x} ${b.y} ${b.w} ${b.h}`);
    drawTiles(b);
    // Pins, names and the crosshair keep their size on screen: drawn in pixels, scaled back.
    const unit = 1 / pxPerUnit();
    for (const l of labels) {
      place(l.g, l.x, l.y, unit);
      l.g.classList.toggle('map-label-hidden', l.span / unit < l.needs);
    }
    place(crosshair, view.x, view.y, unit);
    svg.dataset.zoom = String(view.zoom);
    const cell = CLUSTER_PX * unit;
    if (cell !== lastCell) drawPins(unit);
    else for (const el of pinsLayer.children) place(el, Number(el.dataset.x), Number(el.dataset.y), unit);
  }

  function pinMark(p, unit) {
    const shape = [s('path', { class: 'map-pin-shape', d: PIN_SHAPE }), s('circle', { class: 'map-pin-dot', cx: 0, cy: -17, r: 3.5 })];
    const label = p.label || '位置标记';
    const el = p.href
      ? s('a', { href: p.href, class: 'map-pin', 'aria-label': label }, ...shape)
      : s('g', { class: 'map-pin', role: 'img', 'aria-label': label }, ...shape);
    el.dataset.x = p.x;
    el.dataset.y = p.y;
    place(el, p.x, p.y, unit);
    return el;
  }

  function clusterMark(c, unit) {
    const n = c.pins.length;
    const r = n < 10 ? 15 : n < 100 ? 18 : 22;
    const el = s('g', {
      class: 'map-cluster', role: 'button', tabindex: '0',
      'aria-label': `此处 ${n} 条留言，放大查看`,
    }, s('circle', { r }), s('text', { 'text-anchor': 'middle', 'dominant-baseline': 'central' }, String(n)));
    el.dataset.x = c.x;
    el.dataset.y = c.y;
    el.dataset.count = n;
    const open = (byKeyboard) => {
      view.x = c.x;
      view.y = c.y;
      view.zoom *= 2;
      render();
      if (onCluster) onCluster(c.pins.map((p) => p.source), { byKeyboard });
    };
    el.addEventListener('click', () => open(false));
    el.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        event.stopPropagation();
        open(true);
      }
    });
    place(el, c.x, c.y, unit);
    return el;
  }

  function drawPins(unit) {
    lastCell = CLUSTER_PX * unit;
    const groups = cluster ? clusterPins(pins, lastCell) : pins.map((p) => ({ x: p.x, y: p.y, pins: [p] }));
    pinsLayer.replaceChildren(...groups.map((g) => (g.pins.length > 1 ? clusterMark(g, unit) : pinMark(g.pins[0], unit))));
  }

  function setPins(list) {
    pins = (list || [])
      .filter((p) => p && Number.isFinite(p.lat) && Number.isFinite(p.lng))
      .map((p) => {
        const [x, y] = proj.project(p.lng, p.lat);
        return { ...p, x, y, source: p };
      });
    lastCell = null;
    render();
  }

  function zoomAt(factor, x = view.x, y = view.y) {
    const before = view.zoom;
    view.zoom = Math.min(MAX_ZOOM, Math.max(1, before * factor));
    const k = before / view.zoom; // keep (x, y) where it is on screen
    view.x = x + (view.x - x) * k;
    view.y = y + (view.y - y) * k;
    render();
  }

  /** The user-space point under a client (screen) position. */
  function toUser(clientX, clientY) {
    const rect = svg.getBoundingClientRect();
    const b = box();
    return [b.x + ((clientX - rect.left) / rect.width) * b.w, b.y + ((clientY - rect.top) / rect.height) * b.h];
  }

  function pointToLngLat(clientX, clientY) {
    const [lng, lat] = proj.invert(...toUser(clientX, clientY));
    return { lng, lat };
  }

  // ---- pointer: drag to pan, two fingers to pinch (and move), a tap picks ----------------
  const pointers = new Map();
  let gesture = null;

  /** A gesture starts (again) from the pointers down now; two of them anchor the user-space
   * point under their middle, which stays under their middle as they move. */
  function begin(moved) {
    const start = [...pointers.values()].map((p) => ({ ...p }));
    const anchor = start.length === 2 ? toUser((start[0].x + start[1].x) / 2, (start[0].y + start[1].y) / 2) : null;
    gesture = start.length ? { start, view: { ...view }, moved, anchor } : null;
  }

  function onDown(event) {
    if (event.button !== undefined && event.button !== 0) return;
    if (event.target.closest && event.target.closest('.map-pin[href], .map-cluster')) return;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    svg.setPointerCapture(event.pointerId);
    begin(pointers.size > 1);
  }

  function onMove(event) {
    if (!pointers.has(event.pointerId) || !gesture) return;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    const now = [...pointers.values()];
    if (now.length === 1) {
      const dx = now[0].x - gesture.start[0].x;
      const dy = now[0].y - gesture.start[0].y;
      if (Math.hypot(dx, dy) > CLICK_SLOP_PX) gesture.moved = true;
      if (!gesture.moved) return;
      const unit = box().w / (svg.clientWidth || 1);
      view.x = gesture.view.x - dx * unit;
      view.y = gesture.view.y - dy * unit;
      render();
    } else if (now.length === 2 && gesture.anchor) {
      const span = (a, b) => Math.hypot(a.x - b.x, a.y - b.y) || 1;
      view.zoom = Math.min(MAX_ZOOM, Math.max(1, gesture.view.zoom * (span(now[0], now[1]) / span(gesture.start[0], gesture.start[1]))));
      const rect = svg.getBoundingClientRect();
      const size = homeSize();
      const w = size.w / view.zoom;
      const hgt = size.h / view.zoom;
      view.x = gesture.anchor[0] - (((now[0].x + now[1].x) / 2 - rect.left) / rect.width - 0.5) * w;
      view.y = gesture.anchor[1] - (((now[0].y + now[1].y) / 2 - rect.top) / rect.height - 0.5) * hgt;
      render();
    }
  }

  function onUp(event) {
    if (!pointers.has(event.pointerId)) return;
    const tapped = gesture && !gesture.moved && pointers.size === 1 && event.type === 'pointerup';
    pointers.delete(event.pointerId);
    if (tapped && onPick) onPick(pointToLngLat(event.clientX, event.clientY));
    begin(true); // the finger left on the glass carries on from where it is
  }

  // The wheel zooms a map that has focus (a click or Tab gave it) or with Ctrl (a touchpad's
  // pinch): a page scrolled past the map keeps scrolling.
  function onWheel(event) {
    if (!event.ctrlKey && !event.metaKey && document.activeElement !== svg) return;
    event.preventDefault();
    zoomAt(event.deltaY < 0 ? 1.25 : 0.8, ...toUser(event.clientX, event.clientY));
  }

  function onKey(event) {
    if (event.target !== svg) return;
    const step = box().w / 8;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[event.key]) {
      view.x += moves[event.key][0];
      view.y += moves[event.key][1];
      render();
    } else if (event.key === '+' || event.key === '=') zoomAt(1.5);
    else if (event.key === '-' || event.key === '_') zoomAt(1 / 1.5);
    else if (event.key === '0') reset();
    else if ((event.key === 'Enter' || event.key === ' ') && onPick) onPick(centre());
    else return;
    event.preventDefault();
  }

  function reset() {
    Object.assign(view, { x: proj.width / 2, y: proj.height / 2, zoom: 1 });
    render();
  }

  function centre() {
    const [lng, lat] = proj.invert(view.x, view.y);
    return { lng, lat };
  }

  function select(code) {
    for (const path of districtsLayer.children) path.classList.toggle('map-district-selected', Boolean(code) && path.dataset.code === code);
  }

  svg.addEventListener('pointerdown', onDown);
  svg.addEventListener('pointermove', onMove);
  svg.addEventListener('pointerup', onUp);
  svg.addEventListener('pointercancel', onUp);
  svg.addEventListener('wheel', onWheel, { passive: false });
  svg.addEventListener('keydown', onKey);
  zoomIn.addEventListener('click', () => zoomAt(1.5));
  zoomOut.addEventListener('click', () => zoomAt(1 / 1.5));
  home.addEventListener('click', reset);
  const resized = new ResizeObserver(() => {
    lastCell = null;
    render();
  });
  resized.observe(svg);

  setPins(options.pins || []);
  select(options.selected);

  return {
    svg,
    setPins,
    /** One pin (the submit page's point), or none. */
    setPin(lat, lng, label) {
      setPins(Number.isFinite(lat) && Number.isFinite(lng) ? [{ lat, lng, label }] : []);
    },
    /** Brings a point to the middle of the view. */
    show(lat, lng, zoom = view.zoom) {
      [view.x, view.y] = proj.project(lng, lat);
      view.zoom = zoom;
      render();
    },
    select,
    centre,
    pointToLngLat,
    zoomBy: (factor) => zoomAt(factor),
    reset,
    destroy() {
      resized.disconnect();
      frame.remove();
    },
  };
}
