// 回音壁 in the console: 精选到回音壁 on a closed public case (or editing its summary), and 撤下
// while featured. Featuring is no lifecycle action: the case's state does not change.
import { h, replace } from './dom.js';
import { get } from './api.js';
import { formatDateTime } from './format.js';
import { field, counter, loading, truncate } from './ui.js';
import { actionForm } from './actions.js';
import { staffPost } from './staff-common.js';

const showcasePath = (c, what) => `/api/staff/cases/${encodeURIComponent(c.case_id)}/${what}`;

// Limits from GET /api/schemas/feature (the schema the API checks), read once.
const FEATURE_LIMITS = { summary: 300, summaryMin: 2, beforeAfter: 300 };
let featureLimits = null;

function loadFeatureLimits() {
  featureLimits ||= get('/api/schemas/feature').then((schema) => {
    const props = (schema && schema.properties) || {};
    return {
      summary: (props.summary && props.summary.maxLength) || FEATURE_LIMITS.summary,
      summaryMin: (props.summary && props.summary.minLength) || FEATURE_LIMITS.summaryMin,
      beforeAfter: (props.before_after && props.before_after.maxLength) || FEATURE_LIMITS.beforeAfter,
    };
  }).catch(() => ({ ...FEATURE_LIMITS }));
  return featureLimits;
}

/** 精选到回音壁 on a closed public case (or editing its summary), and 撤下 while featured. */
export function showcaseSection(c, { done, failed }) {
  if (!c.can_feature && !c.featured) return null;
  const section = h('section', { class: 'panel actions-panel showcase-panel' }, h('h2', null, '回音壁'), loading());
  loadFeatureLimits().then((limits) => {
    const f = c.featured;
    replace(section,
      h('h2', null, '回音壁'),
      f ? h('div', { class: 'featured-now' },
        h('p', null, `已于 ${formatDateTime(f.featured_at)} 精选到回音壁（${f.featured_by_name || f.featured_by}）。`),
        h('p', { class: 'prewrap' }, `精选摘要：${f.summary}`),
        f.before_after ? h('p', { class: 'prewrap' }, `办理前后：${f.before_after}`) : null,
        h('p', null, h('a', { href: 'showcase.html' }, '查看回音壁'))) : null,
      c.can_feature ? h('details', { class: 'action', open: !f },
        h('summary', null, f ? '修改精选摘要' : '精选到回音壁'),
        featureForm(c, { done, failed }, limits)) : null,
      f ? h('details', { class: 'action' },
        h('summary', null, '撤下'),
        unfeatureForm(c, { done, failed })) : null);
  });
  return section;
}

function featureForm(c, { done, failed }, limits) {
  const f = c.featured;
  const summary = h('textarea', { name: 'summary', rows: '4' });
  summary.value = f ? f.summary : '';
  const beforeAfter = h('textarea', { name: 'before_after', rows: '3' });
  beforeAfter.value = f && f.before_after ? f.before_after : '';
  return actionForm({
    intro: '回音壁公开展示本件的标题、问题摘要（已遮盖个人信息）、承办单位的答复和留言人的评价（如实展示），不展示留言人姓名和联系方式。',
    children: [
      field({ label: '精选摘要', control: summary, path: 'summary', hint: `简要说明本件为什么值得展示，${limits.summaryMin}–${limits.summary} 字`, extra: counter(summary, limits.summary) }),
      field({ label: '办理前后对比（选填）', control: beforeAfter, path: 'before_after', hint: '例如：办理前路灯一周不亮；办理后已更换灯具，恢复照明', extra: counter(beforeAfter, limits.beforeAfter) }),
    ],
    collect() {
      const body = { summary: summary.value.trim() };
      const note = beforeAfter.value.trim();
      if (note) body.before_after = note;
      const errors = [];
      if ([...body.summary].length < limits.summaryMin) errors.push({ field: 'summary', message: `请填写精选摘要（至少 ${limits.summaryMin} 个字）` });
      if ([...body.summary].length > limits.summary) errors.push({ field: 'summary', message: `精选摘要不能超过 ${limits.summary} 个字` });
      if ([...note].length > limits.beforeAfter) errors.push({ field: 'before_after', message: `办理前后对比不能超过 ${limits.beforeAfter} 个字` });
      return { body, errors };
    },
    confirm: (body) => ({
      title: f ? '确认修改精选摘要' : '确认精选到回音壁',
      message: f ? null : '精选后本件将在回音壁公开展示。',
      details: [['精选摘要', truncate(body.summary, 120)], ['办理前后对比', body.before_after ? truncate(body.before_after, 120) : '无']],
      confirmLabel: f ? '确认修改' : '确认精选',
    }),
    submit: (body) => staffPost(showcasePath(c, 'feature'), body),
    done: (v) => done(v, f ? '已修改精选摘要。' : '已精选到回音壁。'),
    failed,
    submitLabel: f ? '保存修改' : '精选到回音壁',
  });
}

function unfeatureForm(c, { done, failed }) {
  return actionForm({
    intro: '撤下后本件不再在回音壁展示，留言板上的公开内容不受影响。',
    children: [],
    collect: () => ({ body: {}, errors: [] }),
    confirm: () => ({ title: '确认撤下', message: '确认将本件从回音壁撤下？', confirmLabel: '确认撤下', danger: true }),
    submit: (body) => staffPost(showcasePath(c, 'unfeature'), body),
    done: (v) => done(v, '已从回音壁撤下。'),
    failed,
    submitLabel: '撤下',
    cls: 'danger',
  });
}
