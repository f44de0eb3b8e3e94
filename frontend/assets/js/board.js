// 公开留言板: filters and the order (最新 / 热议) reflected in the URL, cards with their 附议
// count, "加载更多" via next_cursor.
import { h, $, replace } from './dom.js';
import { get } from './api.js';
import { caseCard } from './caseview.js';
import {
  taxonomy, departments, optionsOf, select, field, loading, errorBox, alertBox,
  readQuery, writeQuery,
} from './ui.js';
import { lifecycle, stateOptions } from './lifecycle.js';
import { loadDistricts, drawMap } from './map.js';

const KEYS = ['kind', 'category', 'district', 'department', 'state', 'sort'];

const app = $('#app');
const controls = {};
const list = h('div', { class: 'cards' });
const status = h('div', { class: 'list-status', 'aria-live': 'polite' });
const more = h('button', { type: 'button', class: 'btn btn-secondary', hidden: true }, '加载更多');
let cursor = null;
let sequence = 0;
let shown = 0;
let loaded = []; // the cases on the list so far, which the map view shows
let map = null;
const mapBox = h('section', { class: 'board-map', hidden: true, 'aria-label': '留言地图' });
const mapNote = h('p', { class: 'muted', 'aria-live': 'polite' });
const mapList = h('div', { class: 'board-map-list', 'aria-live': 'polite' });

function departmentSelect(items) {
  const el = h('select', { name: 'department' }, h('option', { value: '' }, '全部单位'));
  const groups = new Map();
  for (const d of items) {
    const key = d.district_label || '其他';
    if (!groups.has(key)) groups.set(key, h('optgroup', { label: key }));
    groups.get(key).append(h('option', { value: d.id }, d.name));
  }
  for (const g of groups.values()) el.append(g);
  return el;
}

function filterForm(tax, depts) {
  controls.kind = select('kind', optionsOf(tax, 'kinds'), { placeholder: '全部类型' });
  controls.category = select('category', optionsOf(tax, 'categories'), { placeholder: '全部分类' });
  controls.district = select('district', optionsOf(tax, 'districts'), { placeholder: '全部区域' });
  controls.department = departmentSelect(depts);
  // Only the states a public case can be in, by the names the public reads.
  controls.state = select('state', stateOptions({ shown: true, keep: (s) => s.publishable }), { placeholder: '全部状态' });
  // 热议: the most supported first (only cases with 附议); the default is the newest first.
  controls.sort = select('sort', [{ code: 'supports', label: '附议最多' }], { placeholder: '最新留言' });
  const reset = h('button', { type: 'reset', class: 'btn btn-link' }, '清除筛选');
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': '筛选留言' },
    field({ label: '类型', control: controls.kind }),
    field({ label: '分类', control: controls.category }),
    field({ label: '区域', control: controls.district }),
    field({ label: '承办单位', control: controls.department }),
    field({ label: '办理状态', control: controls.state }),
    field({ label: '排序', control: controls.sort }),
    h('div', { class: 'filters-actions' }, reset));
  form.addEventListener('change', () => {
    writeQuery({ ...currentFilters(), view: onMap() ? 'map' : '' });
    load(true);
  });
  form.addEventListener('submit', (e) => e.preventDefault());
  form.addEventListener('reset', () => {
    setTimeout(() => {
      writeQuery({ view: onMap() ? 'map' : '' });
      load(true);
    });
  });
  return form;
}

function currentFilters() {
  const out = {};
  for (const k of KEYS) out[k] = controls[k] ? controls[k].value : '';
  return out;
}

function applyQuery() {
  const q = readQuery(KEYS);
  for (const k of KEYS) {
    const el = controls[k];
    if (!el) continue;
    el.value = q[k];
    if (el.value !== q[k]) el.value = ''; // unknown code in the URL
  }
}

const onMap = () => !mapBox.hidden;
let chooseView = () => {}; // set once the city's boundaries are known

const located = (c) => c.location && Number.isFinite(c.location.lat) && Number.isFinite(c.location.lng);

function drawPins() {
  if (!map) return;
  const pins = loaded.filter(located).map((c) => ({
    lat: c.location.lat, lng: c.location.lng, label: c.title, href: `case.html?id=${encodeURIComponent(c.case_id)}`,
  }));
  map.setPins(pins);
  mapNote.textContent = `地图上显示已加载的 ${shown} 条留言中标有位置的 ${pins.length} 条。相近的留言合为一个圆点，点击圆点放大并列出其中的留言。`;
  mapList.replaceChildren();
}

/** The cases of a cluster, listed under the map as links. */
function showCluster(pins, { byKeyboard }) {
  const heading = h('h2', { tabindex: '-1' }, `此处的 ${pins.length} 条留言`);
  replace(mapList, heading, h('ul', null, pins.map((p) => h('li', null, h('a', { href: p.href }, p.label)))));
  if (byKeyboard) heading.focus();
}

/** 列表 / 地图: two toggle buttons; the map needs the city's boundaries. */
function viewToggle(fc) {
  const asList = h('button', { type: 'button', class: 'btn btn-secondary btn-small', 'aria-pressed': 'true' }, '列表');
  const asMap = h('button', { type: 'button', class: 'btn btn-secondary btn-small', 'aria-pressed': 'false' }, '地图');
  const choose = (showMap) => {
    asList.setAttribute('aria-pressed', String(!showMap));
    asMap.setAttribute('aria-pressed', String(showMap));
    list.hidden = showMap;
    mapBox.hidden = !showMap;
    if (showMap && !map) {
      map = drawMap(mapBox, fc, {
        title: '留言分布地图',
        description: '本市各区县边界图，红色标记为已加载的公开留言所在位置，蓝色圆点为相近的多条留言。',
        cluster: true,
        onCluster: showCluster,
      });
      mapBox.append(mapNote, mapList);
    }
    if (showMap) drawPins();
  };
  // The view is in the URL (?view=map): a link or the back button opens the same view.
  const click = (showMap) => () => {
    choose(showMap);
    writeQuery({ ...currentFilters(), view: showMap ? 'map' : '' });
  };
  asList.addEventListener('click', click(false));
  asMap.addEventListener('click', click(true));
  chooseView = choose;
  return h('div', { class: 'view-toggle', role: 'group', 'aria-label': '显示方式' }, asList, asMap);
}

async function load(reset) {
  const mine = ++sequence;
  if (reset) {
    cursor = null;
    shown = 0;
    loaded = [];
    more.hidden = true;
    // The spinner stands where the cards will be, so nothing below it moves when they come.
    replace(list, loading());
    status.replaceChildren();
  } else {
    replace(status, loading());
  }
  more.disabled = true;
  try {
    // A filtered page may come back empty with a cursor: keep reading a few pages.
    for (let pages = 0; pages < 10; pages += 1) {
      const data = await get('/api/cases', { query: { ...currentFilters(), cursor } });
      if (mine !== sequence) return;
      if (!shown) list.replaceChildren();
      const items = (data && data.items) || [];
      for (const c of items) list.append(caseCard(c));
      shown += items.length;
      loaded = loaded.concat(items);
      cursor = data.next_cursor || null;
      if (items.length || !cursor) break;
    }
    more.hidden = !cursor;
    if (onMap()) drawPins();
    replace(status, shown
      ? h('p', { class: 'muted' }, cursor ? `已显示 ${shown} 条` : `共 ${shown} 条`)
      : alertBox(controls.sort.value ? '暂无符合条件、有人附议的公开留言。' : '暂无符合条件的公开留言。', 'info'));
  } catch (err) {
    if (mine !== sequence) return;
    if (!shown) list.replaceChildren();
    replace(status, errorBox(err, () => load(reset)));
  } finally {
    more.disabled = false;
  }
}

async function init() {
  replace(app, loading());
  const [tax, depts, , fc] = await Promise.allSettled([taxonomy(), departments(), lifecycle(), loadDistricts()]);
  replace(app,
    filterForm(tax.value || null, depts.value || []),
    fc.value ? viewToggle(fc.value) : null,
    list, mapBox, status, h('div', { class: 'more' }, more));
  applyQuery();
  more.addEventListener('click', () => load(false));
  chooseView(readQuery(['view']).view === 'map');
  window.addEventListener('popstate', () => {
    applyQuery();
    chooseView(readQuery(['view']).view === 'map');
    load(true);
  });
  load(true);
}

init();
