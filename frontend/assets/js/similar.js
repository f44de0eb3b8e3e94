// 相似诉求 (DESIGN §14): while the citizen types a title (and the start of the content), the
// public cases like it in the same district (GET /api/cases/similar), each with
// "这是同一件事：我要附议" (support it instead of filing again) and "不是同一件事，继续提交".
import { h, replace } from './dom.js';
import { get, post } from './api.js';

const WAIT_MS = 600; // after the last keystroke
const MIN_TITLE = 4; // characters before a title says enough to compare
const CONTENT_CHARS = 200; // what the server compares of the content

const distanceText = (m) => (m < 1000 ? `相距约 ${Math.max(10, Math.round(m / 10) * 10)} 米` : `相距约 ${(m / 1000).toFixed(1)} 公里`);

/**
 * The panel under the title. ``read()`` answers the form's current {title, content,
 * district, location}; ``watch`` are the controls whose edits call for a new look.
 */
export function similarPanel(read, watch) {
  const dismissed = new Set();
  const list = h('ul', { class: 'similar-list' });
  const heading = h('h2', { class: 'similar-heading' }, '以下留言可能与您反映的是同一件事');
  const note = h('p', { class: 'hint' }, '如果是同一件事，附议可以让办理单位更重视，无需重复留言；不是同一件事请继续填写。');
  const panel = h('section', { class: 'similar', 'aria-live': 'polite', hidden: true }, heading, note, list);
  let timer = null;
  let asked = '';
  let shown = [];

  function item(c) {
    const done = h('p', { class: 'similar-done', hidden: true });
    const metaText = (supports) => [c.state_label, c.district_label, c.distance_m !== null ? distanceText(c.distance_m) : null, `${supports} 人附议`].filter(Boolean).join(' · ');
    const meta = h('p', { class: 'muted similar-meta' }, metaText(c.supports));
    const same = h('button', { type: 'button', class: 'btn btn-primary btn-small' }, '这是同一件事：我要附议');
    const other = h('button', { type: 'button', class: 'btn btn-secondary btn-small' }, '不是同一件事，继续提交');
    const li = h('li', { class: 'similar-item' },
      h('a', { href: c.url, target: '_blank', rel: 'noopener' }, c.title),
      meta,
      h('div', { class: 'similar-actions' }, same, other),
      done);
    same.addEventListener('click', async () => {
      same.disabled = true;
      try {
        const r = await post(`/api/cases/${encodeURIComponent(c.case_id)}/support`);
        meta.textContent = metaText(r.supports);
        replace(done, r.already ? '您今天已附议过这件留言。' : `已附议，现有 ${r.supports} 人附议。`, ' ',
          h('a', { href: c.url }, '查看办理进展'), '。如果您还有不同的情况要反映，可以继续提交留言。');
        done.hidden = false;
        same.textContent = '已附议';
        other.hidden = true;
      } catch (err) {
        same.disabled = false;
        replace(done, err.message || '附议未成功，请稍后再试');
        done.hidden = false;
      }
    });
    other.addEventListener('click', () => {
      dismissed.add(c.case_id);
      li.remove();
      shown = shown.filter((s) => s !== c.case_id);
      if (!shown.length) panel.hidden = true;
    });
    return li;
  }

  async function look() {
    const now = read();
    const params = new URLSearchParams();
    if ([...now.title].length < MIN_TITLE || (!now.district && !(now.location && Number.isFinite(now.location.lat)))) {
      panel.hidden = true;
      return;
    }
    params.set('title', now.title);
    if (now.content) params.set('content', [...now.content].slice(0, CONTENT_CHARS).join(''));
    if (now.district) params.set('district', now.district);
    if (now.location && Number.isFinite(now.location.lat) && Number.isFinite(now.location.lng)) {
      params.set('lat', now.location.lat.toFixed(5));
      params.set('lng', now.location.lng.toFixed(5));
    }
    const query = params.toString();
    if (query === asked) return;
    asked = query;
    let found;
    try {
      found = await get(`/api/cases/similar?${query}`);
    } catch {
      return; // a suggestion is a help, never in the way: the form goes on without it
    }
    if (query !== asked) return; // a newer look is on its way
    const items = (found.items || []).filter((c) => !dismissed.has(c.case_id));
    shown = items.map((c) => c.case_id);
    replace(list, items.map(item));
    panel.hidden = !items.length;
  }

  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(look, WAIT_MS);
  };
  for (const control of watch) {
    control.addEventListener('input', soon);
    control.addEventListener('change', soon);
  }
  return { element: panel, look };
}

/**
 * 知识库 (DESIGN §16): while the citizen types a 咨询, the public answers like it
 * (GET /api/kb?q=…), each with its full answer behind a disclosure: the question may already
 * be answered. ``read`` and ``watch`` as for similarPanel; the kind's radios are watched too.
 */
export function knowledgePanel(read, watch) {
  const list = h('ul', { class: 'kb-list' });
  const panel = h('section', { class: 'kb-suggest', 'aria-live': 'polite', hidden: true },
    h('h2', { class: 'kb-heading' }, '以下常见问题可能已解答您的咨询'),
    h('p', { class: 'hint' }, '答案由职能部门提供。仍需咨询请继续填写，', h('a', { href: 'faq.html', target: '_blank', rel: 'noopener' }, '查看全部常见问题'), '。'),
    list);
  let timer = null;
  let asked = '';

  async function look() {
    const now = read();
    const words = `${now.title || ''}${[...(now.content || '')].slice(0, 60).join('')}`;
    if (now.kind !== 'consultation' || [...(now.title || '')].length < 2) {
      panel.hidden = true;
      asked = '';
      return;
    }
    if (words === asked) return;
    asked = words;
    let found;
    try {
      found = await get(`/api/kb?q=${encodeURIComponent(words)}`);
    } catch {
      return; // a help, never in the way
    }
    if (words !== asked) return;
    const items = (found.items || []).slice(0, 3);
    replace(list, items.map((e) => h('li', { class: 'kb-item' },
      h('details', null,
        h('summary', null, e.question),
        h('p', { class: 'reply-text' }, e.answer),
        h('p', { class: 'muted' }, `来源：${e.source_unit}`)),
      h('p', { class: 'muted kb-snippet' }, e.snippet))));
    panel.hidden = !items.length;
  }

  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(look, WAIT_MS);
  };
  for (const control of watch) control.addEventListener('input', soon);
  document.addEventListener('change', soon); // the kind's radios, the district…
  return { element: panel, look };
}
