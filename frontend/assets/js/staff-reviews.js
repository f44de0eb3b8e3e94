// 监督评议审核: the coordinators' list of supervisors' reviews (待审核 / 已公开 / 未通过), each
// pending one approved (public from then on, with the supervisor's title) or rejected with a
// note (never public). Every value from the API goes in as text.
import { h, replace } from './dom.js';
import { get, post } from './api.js';
import { formatDateTime } from './format.js';
import { loading, alertBox, errorBox, errorText, badge, field, setBusy } from './ui.js';

const STATES = [['pending', '待审核'], ['approved', '已公开'], ['rejected', '未通过']];

/**
 * A button for the console head that opens the moderation list in `target` (the case panel).
 * options: { onOpen(), sessionLost(err) → bool, openCase(caseId) }
 */
export function reviewsButton(target, options = {}) {
  const button = h('button', { type: 'button', class: 'btn btn-secondary btn-small' }, '监督评议审核');
  button.addEventListener('click', () => {
    if (options.onOpen) options.onOpen();
    reviewsPanel(target, options);
    target.focus();
  });
  return button;
}

export function reviewsPanel(target, { sessionLost = () => false, openCase = null } = {}) {
  const list = h('ul', { class: 'plain-list' });
  const status = h('div', { 'aria-live': 'polite' });
  const notice = h('div', { 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'btn btn-secondary', hidden: true }, '加载更多');
  const tabs = h('div', { class: 'tabs', role: 'group', 'aria-label': '评议状态' });
  let state = 'pending';
  let cursor = null;

  function renderTabs() {
    replace(tabs, STATES.map(([code, label]) => h('button', {
      type: 'button', class: 'tab', 'aria-pressed': String(code === state),
      onclick: () => { state = code; renderTabs(); load(true); },
    }, label)));
  }

  async function load(reset) {
    if (reset) {
      cursor = null;
      list.replaceChildren();
    }
    more.hidden = true;
    replace(status, loading());
    try {
      const page = await get('/api/staff/reviews', { staff: true, query: { state, cursor } });
      for (const r of page.items || []) list.append(row(r));
      cursor = page.next_cursor || null;
      more.hidden = !cursor;
      status.replaceChildren(list.children.length ? '' : alertBox(`目前没有${STATES.find(([c]) => c === state)[1]}的评议。`, 'info'));
    } catch (err) {
      if (sessionLost(err)) return;
      replace(status, errorBox(err, () => load(reset)));
    }
  }

  function decide(r, li, note, decision, button) {
    return async () => {
      setBusy(button, true);
      try {
        await post(`/api/staff/reviews/${encodeURIComponent(r.review_id)}/moderation`, { decision, note: note.value }, { staff: true });
        li.remove();
        replace(notice, alertBox(decision === 'approve' ? `已公开：${r.title}对“${r.case_title}”的评议` : `不予公开：${r.title}对“${r.case_title}”的评议`, 'success'));
        if (!list.children.length) load(true);
      } catch (err) {
        setBusy(button, false);
        if (sessionLost(err)) return;
        replace(notice, alertBox(errorText(err)));
        if (err.status === 409) load(true);
      }
    };
  }

  function row(r) {
    const li = h('li', { class: 'review-item panel' },
      h('p', { class: 'reply-head' },
        h('strong', null, r.title),
        badge(r.supervisor_kind_label, 'role'),
        h('time', { datetime: r.written_at, class: 'muted' }, formatDateTime(r.written_at))),
      h('p', null, '留言：', openCase
        ? h('button', { type: 'button', class: 'btn btn-link', onclick: () => openCase(r.case_id) }, r.case_title)
        : r.case_title, h('span', { class: 'mono muted' }, ` ${r.case_id}`)),
      h('p', { class: 'review-text' }, r.text),
      r.public_text !== r.text ? h('p', { class: 'hint' }, `公开版本（已隐去个人信息）：${r.public_text}`) : null,
      r.note ? h('p', { class: 'muted' }, `审核意见：${r.note}`) : null);
    if (r.state === 'pending') {
      const note = h('textarea', { name: 'note', rows: 2, maxlength: 1000 });
      const approve = h('button', { type: 'button', class: 'btn btn-primary btn-small' }, '同意公开');
      const reject = h('button', { type: 'button', class: 'btn btn-secondary btn-small' }, '不予公开');
      approve.addEventListener('click', decide(r, li, note, 'approve', approve));
      reject.addEventListener('click', decide(r, li, note, 'reject', reject));
      li.append(field({ label: '审核意见', control: note, hint: '不予公开时必须填写理由；监督员可以看到。', path: 'note' }),
        h('div', { class: 'form-actions' }, approve, reject));
    }
    return li;
  }

  more.addEventListener('click', () => load(false));
  renderTabs();
  replace(target, h('div', { class: 'case-panel-inner' },
    h('div', { class: 'console-head' }, h('h2', null, '监督评议审核')),
    h('p', { class: 'hint' }, '监督员对已办结留言的评议，同意后连同其公开称谓显示在留言页面的“监督评议”栏目；不予公开的评议不会公开。'),
    tabs, notice, list, status, h('div', { class: 'more' }, more)));
  load(true);
}
