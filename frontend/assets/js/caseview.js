// Rendering of a case (PublicCase / PrivateCase / StaffCase) shared by the pages.
import { h } from './dom.js';
import { formatDateTime, formatDate } from './format.js';
import { badge, stateBadge, deadlineBadge, ratingBadge, cardBadge, facts, telLink, mailLink } from './ui.js';
import { withDepartment, eventLabel } from './lifecycle.js';
import { photoGallery } from './gallery.js';

export function caseHeading(c, level = 'h1') {
  return h('header', { class: 'case-heading' },
    h('div', { class: 'badges' },
      stateBadge(c.state, c.state_label),
      c.kind_label ? badge(c.kind_label, 'kind') : null,
      c.urgency_label ? badge(`${c.urgency_label}件`, `urgency urgency-${c.urgency}`) : null,
      c.reopen_count > 0 ? badge(`重办 ${c.reopen_count} 次`, 'reopen') : null,
      c.overdue ? badge('已超期', 'overdue') : null,
      cardBadge(c),
      attentionBadge(c)),
    h(level, { class: 'case-title' }, c.title));
}

/** 群众关注: the case's 附议 crossed the threshold of its category. */
export function attentionBadge(c) {
  return c && c.attention ? badge(c.attention.label || '群众关注', 'attention') : null;
}

/** 附议 N / 阈值 T: the count (on the board "N+" when rounded down) against the 群众关注
 * threshold of the case's category; null without a count. */
export function supportsText(c) {
  if (typeof c.supports !== 'number') return null;
  const n = `${c.supports}${c.supports_rounded ? '+' : ''}`;
  const t = c.support_threshold;
  return t ? `附议 ${n} 人 / 阈值 ${t.supports} 人（${t.days} 日内）` : `附议 ${n} 人`;
}

function names(list) {
  return (list || []).map((d) => d.name).filter(Boolean).join('、');
}

/** A deadline value: time + countdown badge while the clock is running, or `stopped`. */
export function deadlineValue(iso, running, apiOverdue, stopped = null) {
  if (!iso) return null;
  return h('span', { class: 'deadline' }, formatDateTime(iso), ' ', running ? deadlineBadge(iso, { apiOverdue }) : stopped);
}

/** 暂停计时 beside the reply deadline while the case waits for the citizen (中止计时). */
export const pausedBadge = (c) => (c.clock_paused ? badge('暂停计时', 'paused') : null);

/** The place as a line of text: the address, and whether a point was marked on the map. */
export function placeText(location) {
  if (!location) return null;
  const marked = location.lat != null && location.lng != null;
  if (location.address) return marked ? `${location.address}（已在地图上标注）` : location.address;
  return marked ? `地图标注（北纬 ${location.lat}，东经 ${location.lng}）` : null;
}

export function caseFacts(c, { showName = true, deadlines = true } = {}) {
  const open = withDepartment(c.state);
  return facts([
    ['留言编号', h('span', { class: 'mono' }, c.case_id)],
    ['类型', c.kind_label],
    ['分类', c.category_label],
    ['所属区域', c.district_label],
    ['地点', placeText(c.location)],
    ['提交时间', formatDateTime(c.created_at)],
    // Staff only: the platform's own 受理 deadline while the case waits for 受理.
    ['受理时限', deadlines ? deadlineValue(c.triage_due_at, true, c.triage_overdue) : null],
    ['留言人', showName ? c.name_masked : null],
    ['紧急程度', c.urgency_label],
    ['牵头单位', c.lead ? c.lead.name : null],
    ['协办单位', names(c.co_handlers)],
    ['签收时限', deadlines ? deadlineValue(c.response_due_at, c.state === 'assigned', false) : null],
    ['答复时限', deadlines ? deadlineValue(c.reply_due_at, open, c.overdue, pausedBadge(c)) : null],
  ]);
}

/** 中止计时 on the case pages: while the case waits for the citizen's 补充材料. */
export function pausedNote(c) {
  const p = c.clock_paused;
  if (!p) return null;
  return h('p', { class: 'hint paused-note' },
    `答复时限暂停计时（等待留言人补充材料，自 ${formatDateTime(p.since)} 起，最迟至 ${formatDateTime(p.until)}）`);
}

/** 补充材料 as staff and the department see it: each question, its answer, the pause. */
export function infoRequestsSection(list, { level = 'h2' } = {}) {
  if (!list || !list.length) return null;
  return h('section', { class: 'panel' },
    h(level, null, '补充材料'),
    list.map((r) => h('article', { class: 'info-request' },
      h('header', { class: 'reply-head' },
        h('strong', null, `${r.department ? r.department.name : '承办单位'}请留言人补充材料`),
        h('time', { datetime: r.asked_at, class: 'muted' }, formatDateTime(r.asked_at))),
      h('p', { class: 'prewrap' }, r.question),
      r.answer
        ? h('div', { class: 'info-answer' },
          h('p', null, h('strong', null, '留言人补充：'), h('span', { class: 'muted' }, formatDateTime(r.answered_at))),
          h('p', { class: 'prewrap' }, r.answer))
        : h('p', { class: r.expired_at ? 'info-expired' : 'muted' }, r.expired_at
          ? `逾期未补充（期限 ${formatDateTime(r.due_at)}），已依现有材料恢复办理`
          : `等待留言人补充，最迟于 ${formatDateTime(r.due_at)} 前`),
      r.answer || r.expired_at
        ? h('p', { class: 'muted' }, r.paused_working_hours ? `答复时限顺延 ${r.paused_working_hours} 个工作小时` : '答复时限不变')
        : null)));
}

/** Shown when a deadline fell in a year whose official holiday schedule is not out yet. */
export function provisionalNote(c) {
  return c.deadline_provisional
    ? h('p', { class: 'hint' }, '注：时限所在年份的法定节假日安排尚未公布，时限按预估的工作日计算，公布后可能调整。')
    : null;
}

/**
 * 并件: where a merged case went, or how many cases a primary answers for. `linked`: whether
 * the primary has a page to link to (a citizen's primary may not be public).
 */
export function mergeNote(c, { staff = false, linked = true } = {}) {
  const page = (id) => (staff ? `staff.html?case=${encodeURIComponent(id)}` : `case.html?id=${encodeURIComponent(id)}`);
  if (c.merged_into) {
    return h('p', { class: 'alert alert-info merge-note' }, '本件已与反映同一问题的诉求 ',
      linked ? h('a', { href: page(c.merged_into) }, c.merged_into) : h('strong', null, c.merged_into),
      ' 合并办理（并件），答复以该件为准。');
  }
  if (c.merged_count) return h('p', { class: 'alert alert-info merge-note' }, `${c.merged_count} 件同类诉求已合并办理。`);
  return null;
}

/** 不予受理 reason (PrivateCase / StaffCase `rejection`). */
export function rejectionBlock(r) {
  if (!r) return null;
  return h('div', { class: 'alert alert-warning' },
    h('p', { class: 'alert-title' }, `不予受理：${r.reason_label || r.reason_code || ''}`),
    r.reason ? h('p', null, r.reason) : null,
    r.duplicate_of ? h('p', null, '与以下留言重复：', h('a', { href: `case.html?id=${encodeURIComponent(r.duplicate_of)}` }, r.duplicate_of)) : null);
}

/** The citizen's photos: thumbnails that open full size (staff lists: state, 隐藏). */
export function photosSection(c, { actions = null } = {}) {
  const gallery = photoGallery(c.photos, { actions });
  return gallery ? h('section', { class: 'panel' }, h('h2', null, '现场照片'), gallery) : null;
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

export function repliesSection(replies, { emptyText = '部门尚未答复。', photoActions = null, title = '答复', intro = null } = {}) {
  const list = replies || [];
  return h('section', { class: 'panel' },
    h('h2', null, title),
    intro,
    list.length
      ? list.map((r) => h('article', { class: 'reply' },
        h('header', { class: 'reply-head' },
          h('strong', null, r.department ? r.department.name : '承办单位'),
          r.outcome_label ? badge(r.outcome_label, `outcome outcome-${r.outcome}`) : null,
          h('time', { datetime: r.at, class: 'muted' }, formatDateTime(r.at))),
        h('div', { class: 'reply-text' }, r.text),
        r.planned_date ? h('p', { class: 'planned' }, `承诺完成日期：${formatDate(r.planned_date)}`) : null,
        photoGallery(r.photos, { title: '办理照片', actions: photoActions }),
        ratingBlock(r.rating)))
      : h('p', { class: 'muted' }, emptyText));
}

/** 监督评议: supervisors' approved reviews of a closed case, apart from the citizen's rating
 * (which sits with the reply it rates). Nothing when there are none. */
export function reviewsSection(reviews) {
  const list = reviews || [];
  if (!list.length) return null;
  return h('section', { class: 'panel reviews', 'aria-labelledby': 'reviews-title' },
    h('h2', { id: 'reviews-title' }, '监督评议'),
    h('p', { class: 'muted' }, '人大代表、政协委员、特约监督员和媒体对已办结留言的评议，经总平台审核后公开。'),
    list.map((r) => h('article', { class: 'review' },
      h('header', { class: 'reply-head' },
        h('strong', null, r.title),
        r.supervisor_kind_label ? badge(r.supervisor_kind_label, 'role') : null,
        h('time', { datetime: r.written_at, class: 'muted' }, formatDateTime(r.written_at))),
      h('p', { class: 'review-text' }, r.text))));
}

/** Timeline of events; staff views mark internal events (public === false) 内部. */
export function timelineSection(events, { title = '办理过程' } = {}) {
  const list = events || [];
  return h('section', { class: 'panel' },
    h('h2', null, title),
    list.length
      ? h('ol', { class: 'timeline' }, list.map((e) => h('li', { class: e.public === false ? 'internal' : '' },
        h('div', { class: 'tl-head' },
          h('strong', null, e.label || eventLabel(e.type)),
          e.public === false ? badge('内部', 'internal') : null,
          e.actor_label ? h('span', { class: 'tl-actor' }, e.actor_label) : null),
        h('time', { datetime: e.at, class: 'muted' }, formatDateTime(e.at)),
        e.note ? h('p', { class: 'tl-note' }, e.note) : null)))
      : h('p', { class: 'muted' }, '暂无记录。'));
}

/** A case on a list (board, 红牌 page): title, masked name, departments, badges. */
/** A board card; ``page`` is where its title links (the staff console for staff lists). */
export function caseCard(c, { page = 'case.html', param = 'id' } = {}) {
  const running = withDepartment(c.state);
  const href = `${page}?${param}=${encodeURIComponent(c.case_id)}`;
  return h('article', { class: 'card' },
    h('div', { class: 'card-top' },
      h('div', { class: 'badges' },
        stateBadge(c.state, c.state_label),
        c.kind_label ? badge(c.kind_label, 'kind') : null,
        running && c.reply_due_at ? deadlineBadge(c.reply_due_at, { apiOverdue: c.overdue }) : (c.overdue ? badge('已超期', 'overdue') : null),
        cardBadge(c),
        attentionBadge(c),
        ratingBadge(c.rating),
        c.reopen_count > 0 ? badge(`重办 ${c.reopen_count} 次`, 'reopen') : null),
      h('time', { datetime: c.created_at, class: 'muted' }, formatDateTime(c.created_at))),
    h('h2', { class: 'card-title' }, h('a', { href }, c.title)),
    c.excerpt ? h('p', { class: 'excerpt' }, c.excerpt) : null,
    h('p', { class: 'card-meta' },
      h('span', null, `留言人：${c.name_masked || '匿名'}`),
      h('span', null, [c.category_label, c.district_label].filter(Boolean).join(' · ')),
      h('span', null, `牵头单位：${c.lead ? c.lead.name : '待交办'}`),
      c.co_handlers && c.co_handlers.length ? h('span', null, `协办：${c.co_handlers.map((d) => d.name).join('、')}`) : null,
      c.supports > 0 || c.attention ? h('span', { class: 'card-supports' }, supportsText(c)) : null));
}
