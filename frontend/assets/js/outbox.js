// 开发邮箱 (local stage only): GET /api/dev/outbox, newest first; URLs in bodies become links.
import { h, $, replace } from './dom.js';
import { get } from './api.js';
import { formatDateTime } from './format.js';
import { loading, errorBox, alertBox, badge, field } from './ui.js';

const app = $('#app');
const URL_PATTERN = /https?:\/\/[^\s<>"'（）()，。、]+/g;

/** Text with every http(s) URL turned into an <a>, built node by node. */
export function linkify(text) {
  const out = [];
  let last = 0;
  for (const match of String(text || '').matchAll(URL_PATTERN)) {
    if (match.index > last) out.push(text.slice(last, match.index));
    out.push(h('a', { href: match[0] }, match[0]));
    last = match.index + match[0].length;
  }
  if (last < String(text || '').length) out.push(text.slice(last));
  return out;
}

const STATUS = { pending: '待发送', dead: '发送失败' };

const filter = h('input', { type: 'search', placeholder: '按收件人或标题筛选', autocomplete: 'off' });
const refresh = h('button', { type: 'button', class: 'btn btn-secondary' }, '刷新');
const list = h('div', { class: 'messages' });
let messages = [];

function show() {
  const q = filter.value.trim().toLowerCase();
  const shown = messages.filter((m) => !q || `${m.to} ${m.subject || ''}`.toLowerCase().includes(q));
  if (!shown.length) {
    replace(list, alertBox(messages.length ? '没有符合条件的消息。' : '还没有发出任何邮件或短信。', 'info'));
    return;
  }
  replace(list, shown.map((m) => h('article', { class: 'message panel' },
    h('header', { class: 'message-head' },
      badge(m.channel === 'sms' ? '短信' : '邮件', `channel channel-${m.channel}`),
      m.status && m.status !== 'sent' ? badge(STATUS[m.status] || m.status, m.status === 'dead' ? 'overdue' : 'pending') : null,
      h('span', { class: 'message-to' }, `收件人：${m.to}`),
      h('time', { datetime: m.sent_at, class: 'muted' }, formatDateTime(m.sent_at))),
    m.subject ? h('h2', { class: 'message-subject' }, m.subject) : null,
    h('div', { class: 'message-body' }, linkify(m.body)))));
}

async function load() {
  replace(list, loading());
  refresh.disabled = true;
  try {
    const data = await get('/api/dev/outbox');
    // The API sends them in the order they were sent, newest last; show newest first. Not
    // by sent_at: that is the platform clock's, which may have been moved back since.
    messages = ((data && data.messages) || []).slice().reverse();
    show();
  } catch (err) {
    if (err.status === 404 || err.status === 403) {
      replace(list, alertBox('开发邮箱仅在本地演示环境中可用。', 'info'));
    } else {
      replace(list, errorBox(err, load));
    }
  } finally {
    refresh.disabled = false;
  }
}

filter.addEventListener('input', show);
refresh.addEventListener('click', load);
replace(app,
  h('div', { class: 'toolbar' }, field({ label: '筛选', control: filter }), refresh),
  list);
load();
