// Rendering of a case (PublicCase / PrivateCase / StaffCase) shared by the pages.
import { h } from './dom.js';
import { formatDateTime, formatDate } from './format.js';
import { badge, stateBadge, deadlineBadge, ratingBadge, cardBadge, facts, telLink, mailLink, OPEN_STATES } from './ui.js';

export function caseHeading(c, level = 'h1') {
  return h('header', { class: 'case-heading' },
    h('div', { class: 'badges' },
      stateBadge(c.state, c.state_label),
      c.kind_label ? badge(c.kind_label, 'kind') : null,
      c.urgency_label ? badge(`${c.urgency_label}件`, `urgency urgency-${c.urgency}`) : null,
      c.reopen_count > 0 ? badge(`重办 ${c.reopen_count} 次`, 'reopen') : null,
      c.overdue ? badge('已超期', 'overdue') : null,
      cardBadge(c)),
    h(level, { class: 'case-title' }, c.title));
}

function names(list) {
  return (list || []).map((d) => d.name).filter(Boolean).join('、');
}

/** A deadline value: time + countdown badge while the clock is running. */
export function deadlineValue(iso, running, apiOverdue) {
  if (!iso) return null;
  return h('span', { class: 'deadline' }, formatDateTime(iso), ' ', running ? deadlineBadge(iso, { apiOverdue }) : null);
}

export function caseFacts(c, { showName = true, deadlines = true } = {}) {
  const open = OPEN_STATES.has(c.state);
  return facts([
    ['留言编号', h('span', { class: 'mono' }, c.case_id)],
    ['类型', c.kind_label],
    ['分类', c.category_label],
    ['所属区域', c.district_label],
    ['提交时间', formatDateTime(c.created_at)],
    ['留言人', showName ? c.name_masked : null],
    ['紧急程度', c.urgency_label],
    ['牵头单位', c.lead ? c.lead.name : null],
    ['协办单位', names(c.co_handlers)],
    ['签收时限', deadlines ? deadlineValue(c.response_due_at, c.state === 'assigned', false) : null],
    ['答复时限', deadlines ? deadlineValue(c.reply_due_at, open, c.overdue) : null],
  ]);
}

/** Shown when a deadline fell in a year whose official holiday schedule is not out yet. */
export function provisionalNote(c) {
  return c.deadline_provisional
    ? h('p', { class: 'hint' }, '注：时限所在年份的法定节假日安排尚未公布，时限按预估的工作日计算，公布后可能调整。')
    : null;
}

/** 不予受理 reason (PrivateCase / StaffCase `rejection`). */
export function rejectionBlock(r) {
  if (!r) return null;
  return h('div', { class: 'alert alert-warning' },
    h('p', { class: 'alert-title' }, `不予受理：${r.reason_label || r.reason_code || ''}`),
    r.reason ? h('p', null, r.reason) : null,
    r.duplicate_of ? h('p', null, '与以下留言重复：', h('a', { href: `case.html?id=${encodeURIComponent(r.duplicate_of)}` }, r.duplicate_of)) : null);
}

export function caseContent(c) {
  return h('section', { class: 'panel' },
    h('h2', null, '留言内容'),
    h('div', { class: 'case-content' }, c.content || c.excerpt || ''));
}

export function contactSection(contact, extra) {
  if (!contact) return null;
  return h('section', { class: 'panel' },
    h('h2', null, '留言人联系方式'),
    facts([
      ['姓名', contact.name || '未填写'],
      ['手机', contact.phone ? telLink(contact.phone) : '未填写'],
      ['邮箱', contact.email ? mailLink(contact.email) : '未填写'],
    ]),
    extra);
}

export function ratingBlock(rating) {
  if (!rating) return null;
  return h('div', { class: 'rating-block' },
    h('p', null, '留言人评价：', ratingBadge(rating, ''), rating.at ? h('span', { class: 'muted' }, ` ${formatDateTime(rating.at)}`) : null),
    rating.comment ? h('p', { class: 'rating-comment' }, rating.comment) : null);
}

export function repliesSection(replies, { emptyText = '部门尚未答复。' } = {}) {
  const list = replies || [];
  return h('section', { class: 'panel' },
    h('h2', null, '答复'),
    list.length
      ? list.map((r) => h('article', { class: 'reply' },
        h('header', { class: 'reply-head' },
          h('strong', null, r.department ? r.department.name : '承办单位'),
          r.outcome_label ? badge(r.outcome_label, `outcome outcome-${r.outcome}`) : null,
          h('time', { datetime: r.at, class: 'muted' }, formatDateTime(r.at))),
        h('div', { class: 'reply-text' }, r.text),
        r.planned_date ? h('p', { class: 'planned' }, `承诺完成日期：${formatDate(r.planned_date)}`) : null,
        ratingBlock(r.rating)))
      : h('p', { class: 'muted' }, emptyText));
}

/** Timeline of events; staff views mark internal events (public === false) 内部. */
export function timelineSection(events, { title = '办理过程' } = {}) {
  const list = events || [];
  return h('section', { class: 'panel' },
    h('h2', null, title),
    list.length
      ? h('ol', { class: 'timeline' }, list.map((e) => h('li', { class: e.public === false ? 'internal' : '' },
        h('div', { class: 'tl-head' },
          h('strong', null, e.label || e.type),
          e.public === false ? badge('内部', 'internal') : null,
          e.actor_label ? h('span', { class: 'tl-actor' }, e.actor_label) : null),
        h('time', { datetime: e.at, class: 'muted' }, formatDateTime(e.at)),
        e.note ? h('p', { class: 'tl-note' }, e.note) : null)))
      : h('p', { class: 'muted' }, '暂无记录。'));
}

/** A case on a list (board, 红牌 page): title, masked name, departments, badges. */
/** A board card; ``page`` is where its title links (the staff console for staff lists). */
export function caseCard(c, { page = 'case.html', param = 'id' } = {}) {
  const running = OPEN_STATES.has(c.state);
  const href = `${page}?${param}=${encodeURIComponent(c.case_id)}`;
  return h('article', { class: 'card' },
    h('div', { class: 'card-top' },
      h('div', { class: 'badges' },
        stateBadge(c.state, c.state_label),
        c.kind_label ? badge(c.kind_label, 'kind') : null,
        running && c.reply_due_at ? deadlineBadge(c.reply_due_at, { apiOverdue: c.overdue }) : (c.overdue ? badge('已超期', 'overdue') : null),
        cardBadge(c),
        ratingBadge(c.rating),
        c.reopen_count > 0 ? badge(`重办 ${c.reopen_count} 次`, 'reopen') : null),
      h('time', { datetime: c.created_at, class: 'muted' }, formatDateTime(c.created_at))),
    h('h2', { class: 'card-title' }, h('a', { href }, c.title)),
    c.excerpt ? h('p', { class: 'excerpt' }, c.excerpt) : null,
    h('p', { class: 'card-meta' },
      h('span', null, `留言人：${c.name_masked || '匿名'}`),
      h('span', null, [c.category_label, c.district_label].filter(Boolean).join(' · ')),
      h('span', null, `牵头单位：${c.lead ? c.lead.name : '待交办'}`),
      c.co_handlers && c.co_handlers.length ? h('span', null, `协办：${c.co_handlers.map((d) => d.name).join('、')}`) : null));
}
