// 公开版本: the citizen's original beside the text the public reads, which the coordinator may
// edit before 受理 and while the case is public. The server scrubs the edit again (names,
// phones, ID numbers, e-mail, QQ/WeChat ids, house numbers) and seals it in the case's history.
// Every value from the API goes in as text (dom.js h()/textContent), never as HTML.
import { h, uid } from './dom.js';
import { field, counter, truncate } from './ui.js';
import { actionForm } from './actions.js';
import { formatDateTime } from './format.js';

const LIMITS = { title: 60, content: 5000 };

/**
 * The two columns (original | public version). Returns { element, changed(), value() }.
 * `path` prefixes the field paths the server names in its errors.
 */
export function publicVersionFields(c, path = 'public_version') {
  const shown = c.public_version || { title: c.title, content: c.content };
  const title = h('input', { type: 'text', name: 'public_title', autocomplete: 'off', value: shown.title });
  const content = h('textarea', { name: 'public_content', rows: '8' });
  content.value = shown.content;
  const heading = uid('orig');
  const element = h('div', { class: 'side-by-side' },
    h('section', { class: 'original', 'aria-labelledby': heading },
      h('h3', { id: heading }, '留言原文（承办单位和审计可见）'),
      h('p', null, h('strong', null, c.title)),
      h('p', { class: 'prewrap' }, c.content)),
    h('div', { class: 'public-edit' },
      h('h3', null, '公开版本（留言板展示）'),
      field({ label: '公开标题', control: title, path: `${path ? `${path}.` : ''}title`, extra: counter(title, LIMITS.title) }),
      field({ label: '公开内容', control: content, path: `${path ? `${path}.` : ''}content`, extra: counter(content, LIMITS.content) }),
      h('p', { class: 'hint' }, '姓名、电话、证件号、邮箱、QQ/微信号和门牌号已自动遮盖；保存时会再次检查。')));
  const value = () => ({ title: title.value.trim(), content: content.value.trim() });
  const changed = () => value().title !== shown.title || value().content !== shown.content;
  const errors = () => {
    const v = value();
    const found = [];
    if ([...v.title].length < 4) found.push({ field: `${path ? `${path}.` : ''}title`, message: '公开标题至少 4 个字' });
    if ([...v.content].length < 10) found.push({ field: `${path ? `${path}.` : ''}content`, message: '公开内容至少 10 个字' });
    return found;
  };
  return { element, changed, value, errors };
}

/**
 * The console's 公开版本 section after 受理: what the public reads, and while the case may be
 * edited (the citizen consented, not rejected or archived) the two columns to change it.
 */
export function publicVersionSection(c, done, { submit, failed }) {
  const v = c.public_version;
  if (!v || !c.public) return null;
  const editable = Boolean(v.editable && submit);
  const body = editable
    ? h('details', { class: 'action' }, h('summary', null, '编辑公开版本'), publicVersionForm(c, done, { submit, failed }))
    : h('div', null, h('p', null, h('strong', null, v.title)), h('p', { class: 'prewrap' }, v.content));
  return h('section', { class: 'panel actions-panel' },
    h('h2', null, '公开版本'),
    h('p', { class: 'hint' }, v.edited
      ? `总平台已编辑${v.edited_at ? `（${formatDateTime(v.edited_at)}）` : ''}；留言板展示编辑后的版本，原文仅承办单位和审计可见。`
      : '留言板展示原文自动遮盖个人信息后的版本。'),
    body);
}

function publicVersionForm(c, done, { submit, failed }) {
  const version = publicVersionFields(c, '');
  return actionForm({
    intro: c.public_version && c.public_version.edited
      ? '公开版本已由总平台编辑过；修改后留言板立即展示新的版本。'
      : '当前公开版本由原文自动遮盖个人信息生成；可以改写后保存。',
    children: [version.element],
    collect() {
      return { body: version.value(), errors: version.errors() };
    },
    confirm: (body) => ({
      title: '确认保存公开版本',
      details: [['公开标题', body.title], ['公开内容', truncate(body.content, 120)]],
      confirmLabel: '保存',
    }),
    submit,
    done: (v) => done(v, '公开版本已保存。'),
    failed,
    submitLabel: '保存公开版本',
  });
}
