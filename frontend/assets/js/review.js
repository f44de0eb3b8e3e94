// 监督评议 (review.html): a supervisor's page (人大代表, 政协委员, 特约监督员, media). What they
// read is what the public reads (the board's closed cases, /api/cases?state=closed); what is
// theirs is their own reviews and states (/api/staff/reviews/mine) and the 评议 they write
// (POST /api/staff/cases/{id}/reviews), public with their title once a coordinator approves
// it. Uses the staff session staff.js keeps; every value goes in as text.
import { h, $, replace } from './dom.js';
import { get, post, staffSession, clearStaffSession } from './api.js';
import { formatDateTime } from './format.js';
import {
  loading, alertBox, errorBox, errorSummary, field, counter, clearFieldErrors, showFieldErrors, setBusy, badge,
  ratingBadge,
} from './ui.js';
import { signInForm, signOutButton, staffBar } from './signin.js';

const app = $('#app');
const TITLE = '监督评议';
const MAX = 500;
const staffGet = (path, query) => get(path, { staff: true, query });
const caseLink = (id, title) => h('a', { href: `case.html?id=${encodeURIComponent(id)}` }, title || id);
let me = null;
let mine = new Map(); // case_id → the supervisor's review of it

function signedOut(notice) {
  signInForm(app, notice, `${TITLE}：请先登录`);
}

/** 401 ends the session, 403 is not a supervisor; true when handled. */
function refused(err) {
  if (err && err.status === 401) {
    clearStaffSession();
    signedOut('登录已过期或已在别处退出，请重新登录。');
  } else if (err && err.status === 403) {
    noAccess(staffSession() || {});
  } else return false;
  return true;
}

const bar = (who) => staffBar(who, signOutButton(() => signedOut('您已退出登录。')));

function noAccess(who) {
  replace(app, bar(who), h('section', { class: 'panel narrow' }, h('h1', null, TITLE),
    alertBox('当前账号无权查看此页面：监督评议只对监督员开放。', 'info'),
    h('p', null, h('a', { href: 'staff.html' }, '返回工作人员页面'))));
}

const stateBadgeOf = (r) => badge(r.state_label, `review-state review-${r.state}`);

// ---- the supervisor's own reviews ---------------------------------------------------------

function reviewItem(r) {
  return h('li', { class: 'review-item' },
    h('p', { class: 'reply-head' }, caseLink(r.case_id, r.case_title), stateBadgeOf(r),
      h('time', { datetime: r.updated_at, class: 'muted' }, formatDateTime(r.updated_at))),
    h('p', { class: 'review-text' }, r.text),
    r.note ? h('p', { class: 'muted' }, `审核意见：${r.note}`) : null);
}

async function loadMine(section) {
  try {
    const found = await staffGet('/api/staff/reviews/mine');
    mine = new Map(found.items.map((r) => [r.case_id, r]));
    replace(section, h('h2', null, '我的评议'),
      found.items.length ? h('ul', { class: 'plain-list' }, found.items.map(reviewItem)) : h('p', { class: 'muted' }, '您还没有写过评议。'));
  } catch (err) {
    if (!refused(err)) replace(section, h('h2', null, '我的评议'), errorBox(err, () => loadMine(section)));
  }
}

// ---- the closed cases and the form ----------------------------------------------------------

function reviewForm(c, slot, done) {
  const previous = mine.get(c.case_id);
  const text = h('textarea', { name: 'text', rows: 4, required: true });
  text.value = previous ? previous.text : '';
  const summary = h('div', { 'aria-live': 'assertive' });
  const send = h('button', { type: 'submit', class: 'btn btn-primary' }, previous ? '保存修改' : '提交评议');
  const cancel = h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => done(false) }, '取消');
  const form = h('form', { class: 'form action-form', novalidate: true },
    summary,
    field({
      label: `对“${c.title}”的评议`, control: text, path: 'text',
      hint: `10–${MAX} 字。经总平台审核后，与您的公开称谓“${me.title || me.name}”一同在留言页面公开；审核前可以修改。`,
      extra: counter(text, MAX),
    }),
    h('div', { class: 'form-actions' }, send, cancel));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    summary.replaceChildren();
    setBusy(send, true);
    try {
      await post(`/api/staff/cases/${encodeURIComponent(c.case_id)}/reviews`, { text: text.value }, { staff: true });
      done(true);
    } catch (err) {
      setBusy(send, false);
      if (refused(err)) return;
      const unplaced = showFieldErrors(form, err.fields);
      replace(summary, errorSummary(err, unplaced));
    }
  });
  replace(slot, form);
  text.focus();
}

function caseItem(c, mineSection) {
  const slot = h('div', { class: 'review-slot', 'aria-live': 'polite' });
  const heading = h('h3', { class: 'card-title', tabindex: '-1' }, caseLink(c.case_id, c.title));
  const actions = () => {
    const r = mine.get(c.case_id);
    if (r && r.state !== 'pending') return h('p', null, '我的评议：', stateBadgeOf(r));
    const open = h('button', { type: 'button', class: 'btn btn-secondary btn-small' }, r ? '修改我的评议' : '写评议');
    open.addEventListener('click', () => reviewForm(c, slot, async (sent) => {
      if (sent) await loadMine(mineSection);
      replace(slot, actions(), sent ? h('p', { class: 'alert alert-success', role: 'status' }, '评议已提交，等待总平台审核。') : null);
      heading.focus();
    }));
    return h('p', null, r ? stateBadgeOf(r) : null, ' ', open);
  };
  replace(slot, actions());
  return h('li', { class: 'card' },
    heading,
    h('p', { class: 'card-meta' },
      h('span', null, [c.category_label, c.district_label].filter(Boolean).join(' · ')),
      h('span', null, `牵头单位：${c.lead ? c.lead.name : '—'}`),
      ratingBadge(c.rating)),
    slot);
}

function closedCases(section, mineSection) {
  const list = h('ul', { class: 'plain-list' });
  const status = h('div', { 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'btn btn-secondary', hidden: true }, '加载更多');
  let cursor = null;
  async function next() {
    setBusy(more, true, '正在加载…');
    try {
      const found = await get('/api/cases', { query: { state: 'closed', cursor } });
      list.append(...found.items.map((c) => caseItem(c, mineSection)));
      cursor = found.next_cursor;
      replace(status, list.children.length ? null : h('p', { class: 'muted' }, '目前没有已办结的公开留言。'));
    } catch (err) {
      replace(status, errorBox(err, next));
    }
    setBusy(more, false);
    more.hidden = !cursor;
  }
  replace(section, h('h2', null, '已办结的公开留言'),
    h('p', { class: 'muted' }, '您看到的与公众在留言板上看到的相同。每件留言可写一条评议。'),
    list, status, h('div', { class: 'more' }, more));
  more.addEventListener('click', next);
  next();
}

async function start() {
  const session = staffSession();
  if (!session || !session.session_token) {
    signedOut('监督评议只对监督员开放，请先登录。');
    return;
  }
  replace(app, loading());
  try {
    me = await staffGet('/api/staff/me');
  } catch (err) {
    if (!refused(err)) replace(app, errorBox(err, start));
    return;
  }
  if (me.role !== 'supervisor') {
    noAccess(me);
    return;
  }
  const mineSection = h('section', { class: 'panel', 'aria-label': '我的评议' });
  const casesSection = h('section', { class: 'panel', 'aria-label': '已办结的公开留言' });
  replace(app, bar({ ...session, ...me }),
    h('h1', null, TITLE),
    h('p', null, `${me.title || me.name}：您对已办结留言的评议经总平台审核后公开，显示在留言页面的“监督评议”栏目，与留言人的评价分开。`),
    mineSection, casesSection);
  await loadMine(mineSection);
  closedCases(casesSection, mineSection);
}

start();
