// 常见问题 (知识库, DESIGN §16): the public entries valid today, searchable by words and by
// category (GET /api/kb?q=…&category=…), best match first, each question opening its answer.
// Every text goes in through h() as text, never as markup.
import { h, $, replace } from './dom.js';
import { get } from './api.js';
import { taxonomy, loading, errorBox, alertBox, optionsOf } from './ui.js';

const app = $('#app');
const WAIT_MS = 400;

function entry(e) {
  return h('li', { class: 'card faq-item' },
    h('details', null,
      h('summary', null, h('span', { class: 'faq-question' }, e.question)),
      h('p', { class: 'reply-text' }, e.answer),
      h('p', { class: 'muted card-meta' },
        h('span', null, `分类：${e.category_label}`),
        h('span', null, `来源：${e.source_unit}`),
        e.valid_until ? h('span', null, `有效期至 ${e.valid_until}`) : null)),
    h('p', { class: 'muted faq-snippet' }, e.snippet));
}

async function init() {
  replace(app, loading());
  let tax;
  try {
    tax = await taxonomy();
  } catch (err) {
    replace(app, errorBox(err, init));
    return;
  }
  const params = new URLSearchParams(location.search);
  const q = h('input', { type: 'search', id: 'faq-q', name: 'q', maxlength: 100, value: params.get('q') || '', autocomplete: 'off' });
  const category = h('select', { id: 'faq-category', name: 'category' },
    h('option', { value: '' }, '全部分类'),
    ...optionsOf(tax, 'categories').map((c) => h('option', { value: c.code }, c.label)));
  category.value = params.get('category') || '';
  const status = h('p', { class: 'list-status', role: 'status', 'aria-live': 'polite' });
  const list = h('ul', { class: 'cards faq-list' });
  const form = h('form', { class: 'filters panel', role: 'search', 'aria-label': '搜索常见问题' },
    h('div', { class: 'field' }, h('label', { for: 'faq-q' }, '搜索问题'), q),
    h('div', { class: 'field' }, h('label', { for: 'faq-category' }, '分类'), category),
    h('button', { type: 'submit', class: 'btn btn-primary' }, '搜索'));
  replace(app, form, status, list);

  let asked = null;
  async function search() {
    const query = new URLSearchParams();
    if (q.value.trim()) query.set('q', q.value.trim());
    if (category.value) query.set('category', category.value);
    const key = query.toString();
    if (key === asked) return;
    asked = key;
    history.replaceState(null, '', key ? `?${key}` : location.pathname);
    status.textContent = '正在搜索…';
    let found;
    try {
      found = await get(`/api/kb${key ? `?${key}` : ''}`);
    } catch (err) {
      if (key !== asked) return;
      status.textContent = '';
      replace(list, h('li', null, alertBox(err.message || '搜索未成功，请稍后再试')));
      asked = null;
      return;
    }
    if (key !== asked) return;
    const items = found.items || [];
    status.textContent = items.length
      ? (q.value.trim() ? `找到 ${items.length} 个相关问题` : `最近更新的 ${items.length} 个问题`)
      : '没有找到相关问题。';
    replace(list, items.length ? items.map(entry)
      : h('li', { class: 'empty' }, '没有找到相关问题，您可以', h('a', { href: 'submit.html' }, '留言咨询'), '。'));
  }
  let timer = null;
  q.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(search, WAIT_MS); });
  category.addEventListener('change', search);
  form.addEventListener('submit', (event) => { event.preventDefault(); clearTimeout(timer); search(); });
  search();
}

init();
