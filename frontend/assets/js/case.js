// 留言详情 (public): facts, content, replies, 监督评议, public timeline.
import { h, $, replace } from './dom.js';
import { get, post } from './api.js';
import { loading, errorBox, alertBox } from './ui.js';
import { setPageTitle } from './shell.js';
import {
  caseHeading, caseFacts, caseContent, photosSection, repliesSection, timelineSection, provisionalNote, pausedNote,
  supportsText, mergeNote, reviewsSection,
} from './caseview.js';
import { lifecycle } from './lifecycle.js';
import { loadDistricts, drawMap } from './map.js';
import { followForm } from './followform.js';

const app = $('#app');
const id = new URLSearchParams(location.search).get('id');

// 附议 (我也遇到): one per visitor and day; the button is off once used. The count stands
// against the 群众关注 threshold of the case's category (附议 N / 阈值 T).
function support(c) {
  const n = h('span', { 'aria-live': 'polite', class: 'support-count' }, supportsText(c));
  const b = h('button', { type: 'button', class: 'btn btn-secondary', async onclick() {
    b.disabled = true;
    try {
      const r = await post(`/api/cases/${encodeURIComponent(c.case_id)}/support`);
      n.textContent = `${supportsText({ ...c, supports: r.supports })}${r.already ? '（您今天已附议）' : ''}`;
      b.textContent = '已附议';
    } catch (err) {
      b.disabled = false;
      n.textContent = err.message;
    }
  } }, '我也遇到（附议）');
  return c.state === 'archived' ? h('p', null, n) : h('p', { class: 'support' }, b, ' ', n);
}

/** 问题位置: the address as published (cut at the building) and, with a point and the city's
 * boundaries, the pin on the district map (zoomable, nothing to pick). */
function placeSection(c) {
  const place = c.location;
  if (!place) return null;
  const point = Number.isFinite(place.lat) && Number.isFinite(place.lng);
  if (!place.address && !point) return null;
  // The map's room is kept while the boundaries load, so the sections below stay put.
  const canvas = h('div', { class: point ? 'map-slot' : null });
  const section = h('section', { class: 'panel case-place' },
    h('h2', null, '问题位置'),
    h('p', null, place.address || '留言人在地图上标出了位置。'),
    canvas);
  if (point) {
    loadDistricts().then((fc) => {
      canvas.classList.remove('map-slot');
      if (!fc) {
        if (!place.address) section.remove(); // a point with no map to show it on
        return;
      }
      const map = drawMap(canvas, fc, {
        title: '问题位置地图',
        description: `红色标记为留言人标出的位置${place.address ? `：${place.address}` : ''}。`,
        selected: c.district,
        pins: [{ lat: place.lat, lng: place.lng, label: `问题位置${place.address ? `：${place.address}` : ''}` }],
      });
      map.show(place.lat, place.lng, 2);
    });
  }
  return section;
}

// Whatever went wrong, the page keeps its h1.
const unavailable = (box) => replace(app, h('section', { class: 'panel' }, h('h1', null, '无法显示这条留言'), box));

async function load() {
  if (!id) {
    unavailable(alertBox('缺少留言编号。请从留言板进入，或在“查询评价”中输入留言编号和查询码。', 'error'));
    return;
  }
  replace(app, loading());
  try {
    const [c] = await Promise.all([get(`/api/cases/${encodeURIComponent(id)}`), lifecycle().catch(() => null)]);
    setPageTitle(c.title);
    replace(app,
      h('article', { class: 'case' },
        caseHeading(c),
        mergeNote(c),
        h('section', { class: 'panel' }, h('h2', { class: 'visually-hidden' }, '基本信息'), caseFacts(c), pausedNote(c), provisionalNote(c)),
        caseContent(c),
        placeSection(c),
        photosSection(c),
        support(c),
        followForm(c),
        repliesSection(c.replies),
        reviewsSection(c.reviews),
        timelineSection(c.timeline),
        h('p', { class: 'aside-note' },
          '您是这条留言的留言人？',
          h('a', { href: `track.html?id=${encodeURIComponent(c.case_id)}` }, '输入查询码查看详细进度并评价'))));
  } catch (err) {
    if (err.status === 404) {
      unavailable(alertBox(err.message, 'error',
        h('p', null, '留言可能不存在、尚未受理或未公开。留言人可在', h('a', { href: `track.html?id=${encodeURIComponent(id)}` }, '查询评价'), '中用查询码查看。')));
    } else {
      unavailable(errorBox(err, load));
    }
  }
}

load();
