// 发送失败: the coordinator's list of dead-lettered notifications, each with 重新发送, and the
// case-panel note for departments whose mail bounced (未能送达该单位).
// Every value from the API goes in as text (dom.js h()/textContent), never as HTML.
import { h, replace } from './dom.js';
import { get, post } from './api.js';
import { formatDateTime } from './format.js';
import { loading, alertBox, errorBox, errorText, badge, facts, setBusy, confirmDialog, truncate } from './ui.js';

const CHANNELS = { email: '邮件', sms: '短信' };
const CONTACT_ROLES = { handler: '经办人', spokesperson: '新闻发言人', leader: '负责人' };

/**
 * A button for the console head that opens the 发送失败 list in `target` (the case panel).
 * options: { onOpen(), sessionLost(err) → bool, openCase(caseId) }
 */
export function deadLettersButton(target, options = {}) {
  const button = h('button', { type: 'button', class: 'btn btn-secondary btn-small' }, '发送失败');
  button.addEventListener('click', () => {
    if (options.onOpen) options.onOpen();
    deadLettersPanel(target, options);
    target.focus();
  });
  return button;
}

/** Render the dead-letter list into `target`, page by page. */
export function deadLettersPanel(target, options = {}) {
  const { sessionLost = () => false, openCase = null } = options;
  const list = h('ul', { class: 'plain-list outbox-list' });
  const status = h('div', { 'aria-live': 'polite' });
  const notice = h('div', { 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'btn btn-secondary', hidden: true }, '加载更多');
  let cursor = null;

  async function load(reset) {
    if (reset) {
      cursor = null;
      list.replaceChildren();
    }
    more.hidden = true;
    replace(status, loading());
    try {
      const page = await get('/api/staff/outbox', { staff: true, query: { status: 'dead', cursor } });
      for (const item of page.items || []) list.append(row(item));
      cursor = page.next_cursor || null;
      more.hidden = !cursor;
      status.replaceChildren(list.children.length ? '' : alertBox('目前没有发送失败的消息。', 'info'));
    } catch (err) {
      if (sessionLost(err)) return;
      replace(status, errorBox(err, () => load(reset)));
    }
  }

  function row(item) {
    const retry = h('button', { type: 'button', class: 'btn btn-primary btn-small' }, '重新发送');
    const li = h('li', { class: 'outbox-item panel' },
      h('p', { class: 'queue-top' },
        badge(CHANNELS[item.channel] || item.channel, 'kind'),
        h('strong', null, item.to || ''),
        item.case_id ? h('span', { class: 'mono muted' }, item.case_id) : null),
      item.subject ? h('p', null, item.subject) : null,
      facts([
        ['模板', item.template || null],
        ['尝试次数', item.attempts !== undefined ? `${item.attempts} 次` : null],
        ['失败原因', item.last_error ? h('span', { class: 'mono' }, item.last_error) : null],
        ['创建时间', item.created_at ? formatDateTime(item.created_at) : null],
      ], 'facts facts-compact'),
      h('div', { class: 'form-actions' },
        retry,
        item.case_id && openCase
          ? h('button', { type: 'button', class: 'btn btn-link', onclick: () => openCase(item.case_id) }, '查看该留言')
          : null));
    retry.addEventListener('click', async () => {
      const ok = await confirmDialog({
        title: '确认重新发送',
        message: '该消息将重新进入发送队列，尝试次数清零。如果收件地址本身有误，请先更正联系方式。',
        details: [
          ['渠道', CHANNELS[item.channel] || item.channel],
          ['收件人', item.to],
          ['主题', item.subject ? truncate(item.subject, 60) : null],
          ['留言编号', item.case_id],
        ],
        confirmLabel: '重新发送',
      });
      if (!ok) return;
      setBusy(retry, true, '正在提交…');
      try {
        await post(`/api/staff/outbox/${encodeURIComponent(item.message_id)}/retry`, {}, { staff: true });
        li.remove();
        replace(notice, alertBox(`已重新加入发送队列：${item.to}`, 'success'));
        if (!list.children.length) status.replaceChildren(alertBox('目前没有发送失败的消息。', 'info'));
      } catch (err) {
        setBusy(retry, false);
        if (sessionLost(err)) return;
        if (err.status === 409 || err.status === 404) li.remove();
        replace(notice, alertBox(errorText(err)));
      }
    });
    return li;
  }

  more.addEventListener('click', () => load(false));
  const refresh = h('button', { type: 'button', class: 'btn btn-secondary btn-small' }, '刷新');
  refresh.addEventListener('click', () => load(true));
  replace(target, h('div', { class: 'case-panel-inner' },
    h('div', { class: 'console-head' }, h('h2', null, '发送失败的消息'), refresh),
    h('p', { class: 'hint' }, '以下通知经多次重试仍未发出（或内容无法发送），需要人工处理。核实收件人后可重新发送。'),
    notice, list, status, h('div', { class: 'more' }, more)));
  load(true);
}

/** Case detail: a warning when mail to the lead or a co-handler does not arrive. */
export function unreachableNote(c) {
  const a = c && c.assignment;
  if (!a) return null;
  const units = [a.lead, ...(a.co_handlers || [])].filter((d) => d && d.unreachable);
  if (!units.length) return null;
  const who = (d) => {
    const roles = (d.unreachable_contacts || []).map((r) => CONTACT_ROLES[r] || r).join('、');
    return roles ? `${d.name}（${roles}邮箱）` : d.name;
  };
  return h('section', { class: 'alert alert-warning', role: 'status' },
    h('p', { class: 'alert-title' }, '未能送达该单位'),
    h('p', null, `邮件被退回或被投诉：${units.map(who).join('；')}。交办通知和办理链接可能未送达，请电话联系该单位并更正联系方式。`));
}
