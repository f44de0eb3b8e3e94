// 接口文档: GET /api/openapi.json (OpenAPI 3.1, made of the routes and their specs, served
// with the request schemas bundled in) rendered as text, grouped by tag: method, path, summary,
// parameters, request body (a bundled schema links to its file, /api/schemas/<name>, through its
// externalDocs), responses. Every text goes in through h() as text, never as markup.
import { h, $, replace } from './dom.js';
import { get } from './api.js';
import { badge, loading, errorBox } from './ui.js';

const METHODS = ['get', 'post', 'put', 'delete'];
const app = $('#app');
let doc = {};

/** '#/components/responses/NotFound' → the object it points at (one level). */
function deref(node) {
  const ref = node && node.$ref;
  if (!ref || !ref.startsWith('#/')) return node;
  return ref.slice(2).split('/').reduce((at, key) => (at ? at[key] : undefined), doc) || node;
}

/** A schema as a short text: a component's name (a request schema's linked to its file), or a type. */
function schemaName(schema) {
  if (!schema) return '';
  if (schema.$ref) {
    const name = h('code', null, schema.$ref.split('/').pop());
    const file = (deref(schema) || {}).externalDocs;
    return file && file.url.startsWith('/api/schemas/') ? h('a', { href: file.url }, name) : name;
  }
  if (schema.type === 'array') return ['[', schemaName(schema.items), ']'];
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : schema.type;
  return h('code', null, type || (schema.enum ? schema.enum.join(' | ') : 'object'));
}

function contentList(content) {
  return Object.entries(content || {}).map(([type, media]) => h('li', null, h('code', null, type), ' ', schemaName(media.schema)));
}

function section(title, ...children) {
  return h('div', null, h('h4', null, title), ...children);
}

function operation(path, method, op) {
  const params = op.parameters || [];
  const responses = Object.entries(op.responses || {});
  const security = (op.security || []).map((s) => Object.keys(s)[0] || '无需认证（可选）').join(' 或 ');
  return h('article', { class: 'card', id: op.operationId },
    h('div', { class: 'badges' }, badge(method.toUpperCase(), 'mono'), h('code', null, path),
      op['x-local-only'] ? badge('仅本地') : null),
    h('h3', { class: 'card-title' }, op.summary || ''),
    op.description ? h('p', { class: 'muted prewrap' }, op.description) : null,
    h('p', { class: 'card-meta' }, `认证：${security || '无'}`, op['x-roles'] ? `　角色：${op['x-roles'].join('、')}` : ''),
    params.length ? section('参数', h('ul', { class: 'plain-list' }, params.map((ref) => {
      const p = deref(ref);
      return h('li', null, h('code', null, p.name), ` （${p.in}${p.required ? '，必填' : ''}） `, schemaName(p.schema), ' ', p.description || '');
    }))) : null,
    op.requestBody ? section('请求体', h('ul', { class: 'plain-list' }, contentList(op.requestBody.content))) : null,
    section('应答', h('ul', { class: 'plain-list' }, responses.map(([code, ref]) => {
      const r = deref(ref);
      return h('li', null, h('strong', null, code), ' ', r.description || '', r.content ? h('ul', null, contentList(r.content)) : null);
    }))));
}

function render() {
  const info = doc.info || {};
  const byTag = new Map((doc.tags || []).map((t) => [t.name, { tag: t, ops: [] }]));
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const name = (op.tags || [])[0] || '其他';
      if (!byTag.has(name)) byTag.set(name, { tag: { name }, ops: [] });
      byTag.get(name).ops.push(operation(path, method, op));
    }
  }
  const groups = [...byTag.values()].filter((g) => g.ops.length);
  const schemes = Object.entries((doc.components || {}).securitySchemes || {});
  replace(app, h('div', { class: 'api-doc' },
    h('p', null, `${info.title || ''} · 版本 ${info.version || ''} · OpenAPI ${doc.openapi || ''} · `,
      h('a', { href: '/api/openapi.json' }, '下载 openapi.json')),
    info.description ? h('p', { class: 'muted prewrap' }, info.description) : null,
    h('h2', null, '认证方式'),
    h('ul', { class: 'plain-list' }, schemes.map(([name, s]) => h('li', null, h('code', null, name), ` ${s.description || ''}`))),
    h('nav', { 'aria-label': '接口分组' }, h('ul', null, groups.map((g) => h('li', null,
      h('a', { href: `#tag-${g.tag.name}` }, g.tag.name), ` ${g.tag.description || ''}（${g.ops.length}）`)))),
    groups.map((g) => h('section', { id: `tag-${g.tag.name}` }, h('h2', null, g.tag.name),
      g.tag.description ? h('p', { class: 'muted' }, g.tag.description) : null, h('div', { class: 'cards' }, g.ops)))));
  if (location.hash) document.getElementById(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView();
}

async function load() {
  replace(app, loading());
  try {
    doc = await get('/api/openapi.json');
    render();
  } catch (err) {
    replace(app, errorBox(err, load));
  }
}

load();
