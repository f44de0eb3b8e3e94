// 查询与评价: case id + tracking code → private view; the actions it offers (评价, 补充材料)
// post to where the lifecycle says.
import { h, $, replace, uid } from './dom.js';
import { post } from './api.js';
import { formatDateTime } from './format.js';
import {
  taxonomy, optionsOf, field, fieldset, counter, loading, errorSummary,
  clearFieldErrors, showFieldErrors, setBusy, facts, telLink, mailLink, truncate,
} from './ui.js';
import { caseHeading, caseFacts, caseContent, photosSection, repliesSection, timelineSection, provisionalNote, rejectionBlock, mergeNote } from './caseview.js';
import { actionForm } from './actions.js';
import { lifecycle, actionPath, bodyLimits } from './lifecycle.js';
import { followForm } from './followform.js';

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
      const [c] = await Promise.all([post(`/api/cases/${encodeURIComponent(id)}/track`, { tracking_code: code }), lifecycle().catch(() => null)]);
      caseId = id;
      trackingCode = code;
      const url = new URL(location.href);
      url.searchParams.set('id', id);
      history.replaceState(null, '', url);
      await show(c);
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

/**
 * Render the citizen's view with the forms of the actions it offers that this page has, each
 * with its body's limits. `done`: what was just done ({title, text, supplement?}).
 */
async function show(c, done = null) {
  const offered = (c.actions || []).filter((a) => FORMS[a] && actionPath(a, caseId));
  const limits = await Promise.all(offered.map((a) => bodyLimits(a)));
  const forms = Object.fromEntries(offered.map((a, i) => [a, FORMS[a](c, limits[i])]));
  render(c, done, forms);
}

function render(c, done, forms) {
  const nextStep = c.next_step
    ? h('div', { class: `alert ${done ? 'alert-success' : 'alert-info'}`, role: 'status', tabindex: '-1' },
      h('p', { class: 'alert-title' }, done ? done.title : '当前进展'),
      h('p', null, c.next_step))
    : (done ? h('div', { class: 'alert alert-success', role: 'status', tabindex: '-1' }, h('p', null, done.text)) : null);
  const contact = c.contact || {};
  replace(result,
    h('article', { class: 'case' },
      nextStep,
      caseHeading(c, 'h2'),
      mergeNote(c, { linked: c.primary ? c.primary.published : true }),
      rejectionBlock(c.rejection),
      h('section', { class: 'panel' }, caseFacts(c, { showName: false }), provisionalNote(c)),
      supplementPanel(c, forms.supplement, done && done.supplement),
      c.primary
        ? repliesSection(c.primary.reply ? [c.primary.reply] : [], {
          title: '主件答复',
          intro: h('p', { class: 'muted' }, `主件 ${c.primary.case_id} 当前状态：${c.primary.state_label}。主件的答复即是对您诉求的答复。`),
          emptyText: '主件尚未答复，答复后会通知您。',
        })
        : repliesSection(c.replies, { emptyText: '承办单位尚未答复，答复后会通知您。' }),
      forms.rate,
      forms.rate_primary,
      caseContent(c),
      photosSection(c),
      h('section', { class: 'panel' },
        h('h2', null, '您的联系方式'),
        facts([
          ['姓名', contact.name || '未填写'],
          ['手机', contact.phone ? telLink(contact.phone) : '未填写'],
          ['邮箱', contact.email ? mailLink(contact.email) : '未填写'],
          ['公开展示', c.public ? '已同意公开（经总平台审核后展示，不显示联系方式和完整姓名）' : '不公开'],
        ]),
        h('p', { class: 'muted' }, '联系方式仅承办单位和总平台可见。')),
      followForm(c, {
        trackingCode,
        title: '用邮箱关注办理进展',
        intro: '可另填一个邮箱（如提交时未留邮箱），本诉求答复、重办和办结时我们会发邮件告诉您。邮箱需先确认。',
      }),
      timelineSection(c.timeline)));
  if (nextStep && done) nextStep.focus();
}

/**
 * 补充材料: the department's question with its deadline and the form to answer it; once
 * answered (`answered`: {question, text}), what the citizen sent.
 */
function supplementPanel(c, form, answered) {
  const r = c.info_request;
  if (answered) {
    return h('section', { class: 'panel supplement' },
      h('h2', null, '您补充的材料'),
      h('p', { class: 'muted' }, '承办单位的问题：'),
      h('p', { class: 'prewrap question' }, answered.question),
      h('p', { class: 'muted' }, '您的补充：'),
      h('p', { class: 'prewrap answer' }, answered.text),
      h('p', { class: 'hint' }, '承办单位已恢复办理，答复时限顺延等待的工作时间。'));
  }
  if (!r) return null;
  return h('section', { class: 'panel supplement' },
    h('h2', null, '请您补充材料'),
    facts([
      ['提出单位', r.department ? r.department.name : '承办单位'],
      ['提出时间', formatDateTime(r.asked_at)],
      ['补充期限', `${formatDateTime(r.due_at)} 前`],
    ], 'facts facts-compact'),
    h('p', { class: 'muted' }, '承办单位的问题：'),
    h('p', { class: 'prewrap question' }, r.question),
    h('p', { class: 'hint' }, '补充前答复时限暂停计时；逾期未补充的，承办单位将依现有材料办理。'),
    form || null);
}

// One form per action the tracking page offers: (case, the body's limits) → the form.
const FORMS = {
  rate: ratingForm,
  rate_primary: (c, limits) => ratingForm(c, limits, {
    action: 'rate_primary',
    title: '评价主件答复',
    intro: '您的诉求已与同类诉求合并办理，请对主件的答复和办理结果作出评价。选择“不满意”的，总平台将关注主件的办理情况；是否重办由主件留言人的评价决定。',
    windowNote: false,
  }),
  supplement: supplementForm,
};

function supplementForm(c, limits) {
  const question = c.info_request ? c.info_request.question : '';
  const { min = 0, max = 0 } = limits.text || {};
  const text = h('textarea', { name: 'text', rows: '6' });
  return actionForm({
    children: [field({
      label: '补充内容', control: text, path: 'text', extra: counter(text, max),
      hint: '请针对上面的问题如实补充，写清时间、地点等具体情况；请不要填写与问题无关的个人信息。',
    })],
    collect() {
      const body = { tracking_code: trackingCode, text: text.value.trim() };
      const n = [...body.text].length;
      const errors = [];
      if (!n) errors.push({ field: 'text', message: '请填写补充内容' });
      else if (min && n < min) errors.push({ field: 'text', message: `补充内容至少 ${min} 个字` });
      return { body, errors };
    },
    confirm: (body) => ({
      title: '确认提交补充材料',
      message: '提交后不能修改，承办单位将依据您补充的材料继续办理。',
      details: [['补充内容', truncate(body.text, 120)]],
      confirmLabel: '确认提交',
    }),
    submit: (body) => post(actionPath('supplement', caseId), body),
    done: (updated) => show(updated, { title: '补充材料已提交', text: '补充材料已提交，承办单位将继续办理。', supplement: { question, text: text.value.trim() } }),
    submitLabel: '提交补充材料',
  });
}

/**
 * 评价: the citizen's rating of their own case's reply (`rate`), or of the primary's when
 * their case was merged into it (`rate_primary`).
 */
function ratingForm(c, limits, {
  action = 'rate',
  title = '评价办理结果',
  intro = '请对承办单位的答复和办理结果作出评价。选择“不满意”的，留言将退回承办单位重新办理。',
  windowNote = true,
} = {}) {
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
    h('h2', null, title),
    h('p', null, intro,
      windowNote && c.rating_window_ends_at ? `请在 ${formatDateTime(c.rating_window_ends_at)} 前评价，逾期未评价的将自动办结。` : ''),
    summary,
    fieldset({ legend: '满意度', path: 'rating', cls: 'choices choices-inline', children: radios }),
    field({ label: '评价意见（选填）', control: comment, path: 'comment', hint: '不满意时，请写明原因，便于承办单位重新办理。', extra: counter(comment, (limits.comment || {}).max) }),
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
      const updated = await post(actionPath(action, caseId), body);
      await show(updated, { title: '评价已提交', text: '评价已提交，感谢您的反馈。' });
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
  lifecycle().catch(() => {});
  const lookup = lookupForm();
  replace(app, lookup.form, result);
  lookup.focus();
}

init();
