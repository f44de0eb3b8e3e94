// 查询与评价: case id + tracking code → private view; rating when can_rate.
import { h, $, replace, uid } from './dom.js';
import { post } from './api.js';
import { formatDateTime } from './format.js';
import {
  taxonomy, optionsOf, field, fieldset, counter, loading, alertBox, errorSummary,
  clearFieldErrors, showFieldErrors, setBusy, facts, telLink, mailLink,
} from './ui.js';
import { caseHeading, caseFacts, caseContent, repliesSection, timelineSection, provisionalNote, rejectionBlock } from './caseview.js';

const app = $('#app');
const result = h('div', { class: 'track-result' });
let trackingCode = '';
let caseId = '';

function lookupForm() {
  const idInput = h('input', { type: 'text', name: 'case_id', autocomplete: 'off', spellcheck: 'false', value: new URLSearchParams(location.search).get('id') || '' });
  const codeInput = h('input', { type: 'text', name: 'tracking_code', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off' });
  const summary = h('div', { 'aria-live': 'assertive' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary' }, '查询');
  const form = h('form', { class: 'form panel lookup', novalidate: true },
    summary,
    h('div', { class: 'grid-2' },
      field({ label: '留言编号', control: idInput, path: 'case_id', hint: '提交留言后显示的编号' }),
      field({ label: '查询码', control: codeInput, path: 'tracking_code', hint: '提交留言时显示的查询码' })),
    h('div', { class: 'form-actions' }, button));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    summary.replaceChildren();
    const id = idInput.value.trim();
    const code = codeInput.value.trim();
    const problems = [];
    if (!id) problems.push({ field: 'case_id', message: '请填写留言编号' });
    if (!code) problems.push({ field: 'tracking_code', message: '请填写查询码' });
    if (problems.length) {
      showFieldErrors(form, problems);
      replace(summary, errorSummary({ message: '请填写留言编号和查询码' }));
      return;
    }
    setBusy(button, true, '正在查询…');
    replace(result, loading('正在查询…'));
    try {
      const c = await post(`/api/cases/${encodeURIComponent(id)}/track`, { tracking_code: code });
      caseId = id;
      trackingCode = code;
      const url = new URL(location.href);
      url.searchParams.set('id', id);
      history.replaceState(null, '', url);
      render(c);
    } catch (err) {
      result.replaceChildren();
      const unplaced = showFieldErrors(form, err.fields);
      replace(summary, errorSummary(err, unplaced));
    } finally {
      setBusy(button, false);
    }
  });
  return { form, focus: () => (idInput.value ? codeInput : idInput).focus() };
}

function render(c, justRated = false) {
  const nextStep = c.next_step
    ? h('div', { class: `alert ${justRated ? 'alert-success' : 'alert-info'}`, role: 'status', tabindex: '-1' },
      h('p', { class: 'alert-title' }, justRated ? '评价已提交' : '当前进展'),
      h('p', null, c.next_step))
    : (justRated ? h('div', { class: 'alert alert-success', role: 'status', tabindex: '-1' }, h('p', null, '评价已提交，感谢您的反馈。')) : null);
  const contact = c.contact || {};
  replace(result,
    h('article', { class: 'case' },
      nextStep,
      caseHeading(c, 'h2'),
      rejectionBlock(c.rejection),
      h('section', { class: 'panel' }, caseFacts(c, { showName: false }), provisionalNote(c)),
      repliesSection(c.replies, { emptyText: '承办单位尚未答复，答复后会通知您。' }),
      c.can_rate ? ratingForm(c) : null,
      caseContent(c),
      h('section', { class: 'panel' },
        h('h2', null, '您的联系方式'),
        facts([
          ['姓名', contact.name || '未填写'],
          ['手机', contact.phone ? telLink(contact.phone) : '未填写'],
          ['邮箱', contact.email ? mailLink(contact.email) : '未填写'],
          ['公开展示', c.public ? '已同意公开（经总平台审核后展示，不显示联系方式和完整姓名）' : '不公开'],
        ]),
        h('p', { class: 'muted' }, '联系方式仅承办单位和总平台可见。')),
      timelineSection(c.timeline)));
  if (nextStep && justRated) nextStep.focus();
}

function ratingForm(c) {
  const name = uid('rating');
  const options = optionsOf(ratingTaxonomy, 'ratings');
  const radios = options.map((o) => {
    const id = uid('r');
    return h('div', { class: `choice choice-rating rating-${o.code}` },
      h('input', { type: 'radio', name, id, value: o.code }),
      h('label', { for: id }, h('strong', null, o.label)));
  });
  const comment = h('textarea', { name: 'comment', rows: '4' });
  const summary = h('div', { 'aria-live': 'assertive' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary' }, '提交评价');
  const form = h('form', { class: 'form panel rating-form', novalidate: true },
    h('h2', null, '评价办理结果'),
    h('p', null, '请对承办单位的答复和办理结果作出评价。选择“不满意”的，留言将退回承办单位重新办理。',
      c.rating_window_ends_at ? `请在 ${formatDateTime(c.rating_window_ends_at)} 前评价，逾期未评价的将自动办结。` : ''),
    summary,
    fieldset({ legend: '满意度', path: 'rating', cls: 'choices choices-inline', children: radios }),
    field({ label: '评价意见（选填）', control: comment, path: 'comment', hint: '不满意时，请写明原因，便于承办单位重新办理。', extra: counter(comment, 500) }),
    h('div', { class: 'form-actions' }, button));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    summary.replaceChildren();
    const chosen = form.querySelector(`input[name="${name}"]:checked`);
    if (!chosen) {
      showFieldErrors(form, [{ field: 'rating', message: '请选择满意、基本满意或不满意' }]);
      return;
    }
    const body = { tracking_code: trackingCode, rating: chosen.value };
    if (comment.value.trim()) body.comment = comment.value.trim();
    setBusy(button, true);
    try {
      const updated = await post(`/api/cases/${encodeURIComponent(caseId)}/rating`, body);
      render(updated, true);
    } catch (err) {
      const unplaced = showFieldErrors(form, err.fields);
      replace(summary, errorSummary(err, unplaced));
      setBusy(button, false);
    }
  });
  return form;
}

let ratingTaxonomy = null;

async function init() {
  taxonomy().then((t) => { ratingTaxonomy = t; }).catch(() => {});
  const lookup = lookupForm();
  replace(app, lookup.form, result);
  lookup.focus();
}

init();
