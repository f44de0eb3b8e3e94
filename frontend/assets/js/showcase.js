// 回音壁: cases the 总平台 featured (closed, the citizen consented to publication and the 总平台
// approved it), with the coordinator's summary, the department's reply, its outcome and the
// citizen's rating as given. "加载更多" via next_cursor.
//
// GET /api/showcase?cursor=… answers (newest featured first, 10 a page):
//   {
//     "items": [{
//       "case_id": "WZ20261117-6MCMDX",
//       "title": "…", "kind": "complaint", "kind_label": "投诉",
//       "category": "urban", "category_label": "城市管理", "district": "jb", "district_label": "江北区",
//       "excerpt": "…",                               // the problem, scrubbed public text
//       "department": {"id": "…", "name": "…"} | null, // lead department
//       "reply": {"text": "…", "outcome": "resolved|explained|scheduled",
//                 "outcome_label": "已解决", "at": "ISO", "planned_date": "YYYY-MM-DD"|null} | null,
//       "rating": {"rating": "satisfied|basically_satisfied|unsatisfied", "rating_label": "满意",
//                  "comment": "…"} | null,          // as the citizen gave it; null: 未评价
//       "summary": "…",                              // the coordinator's editorial summary
//       "before_after": "…" | null,                  // optional 办理前后 note
//       "featured_at": "ISO", "closed_at": "ISO" | null
//     }],
//     "next_cursor": "…" | null
//   }
// Every text goes in through h() as text, never as markup.
import { h, $, replace } from './dom.js';
import { get } from './api.js';
import { formatDate } from './format.js';
import { badge, ratingBadge, loading, errorBox, alertBox, truncate } from './ui.js';

const app = $('#app');
const list = h('div', { class: 'cards' });
const status = h('div', { class: 'list-status', 'aria-live': 'polite' });
const more = h('button', { type: 'button', class: 'btn btn-secondary', hidden: true }, '加载更多');
let cursor = null;
let shown = 0;


function showcaseCard(c) {
  const href = `case.html?id=${encodeURIComponent(c.case_id)}`;
  const dept = c.department || c.lead;
  const reply = c.reply || {};
  return h('article', { class: 'card showcase-card' },
    h('div', { class: 'card-top' },
      h('div', { class: 'badges' },
        c.kind_label ? badge(c.kind_label, 'kind') : null,
        reply.outcome_label ? badge(reply.outcome_label, `outcome outcome-${reply.outcome}`) : null,
        ratingBadge(c.rating)),
      c.featured_at ? h('span', { class: 'muted' }, `${formatDate(c.featured_at)} 入选`) : null),
    h('h2', { class: 'card-title' }, h('a', { href }, c.title)),
    c.summary ? h('p', { class: 'showcase-summary' }, c.summary) : null,
    c.excerpt ? h('p', { class: 'excerpt' }, h('span', { class: 'muted' }, '留言摘要：'), truncate(c.excerpt, 120)) : null,
    reply.text ? h('blockquote', { class: 'showcase-reply' },
      h('p', { class: 'showcase-reply-head' }, h('strong', null, `${dept ? dept.name : '承办单位'}答复`),
        reply.outcome_label ? `（${reply.outcome_label}）` : null),
      h('p', { class: 'reply-text' }, truncate(reply.text, 160)),
      reply.planned_date ? h('p', { class: 'planned' }, `承诺完成日期：${formatDate(reply.planned_date)}`) : null) : null,
    c.before_after ? h('p', { class: 'showcase-before-after' }, h('strong', null, '办理前后：'), c.before_after) : null,
    c.rating && c.rating.comment ? h('p', { class: 'showcase-rating' },
      h('strong', null, `留言人评价（${c.rating.rating_label || ''}）：`), c.rating.comment) : null,
    h('p', { class: 'card-meta' },
      h('span', null, `承办单位：${dept ? dept.name : '—'}`),
      h('span', null, [c.category_label, c.district_label].filter(Boolean).join(' · ')),
      h('a', { href }, '查看办理全过程')));
}

async function load() {
  replace(status, loading());
  more.disabled = true;
  try {
    const data = await get('/api/showcase', { query: { cursor } });
    const items = (data && data.items) || [];
    for (const c of items) list.append(showcaseCard(c));
    shown += items.length;
    cursor = (data && data.next_cursor) || null;
    more.hidden = !cursor;
    replace(status, shown
      ? h('p', { class: 'muted' }, cursor ? `已显示 ${shown} 个案例` : `共 ${shown} 个案例`)
      : alertBox('回音壁暂时还没有案例。', 'info', [
        h('p', null, '您可以在公开留言板上查看已办结的留言及其答复和评价。'),
        h('a', { class: 'btn btn-secondary btn-small', href: 'index.html?state=closed' }, '查看已办结的留言')]));
  } catch (err) {
    more.hidden = true;
    replace(status, errorBox(err, load));
  } finally {
    more.disabled = false;
  }
}

more.addEventListener('click', load);
replace(app, list, status, h('div', { class: 'more' }, more));
load();
