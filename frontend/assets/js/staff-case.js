// The console's case panel: the case as staff see it, its pending request, 补充材料, the forms
// of the actions the view offers, the public version and the 回音壁.
import { h, replace } from './dom.js';
import { formatDateTime } from './format.js';
import { alertBox, facts } from './ui.js';
import {
  caseHeading, caseFacts, caseContent, contactSection, repliesSection, timelineSection, rejectionBlock,
  infoRequestsSection, pausedNote, photosSection, mergeNote,
} from './caseview.js';
import { actionLabel, actionPath, withDepartment } from './lifecycle.js';
import { staffGet, staffPost, PROVISIONAL } from './staff-common.js';
import { unreachableNote } from './staff-outbox.js';
import { publicVersionSection } from './staff-public.js';
import { showcaseSection } from './staff-showcase.js';
import { FORMS } from './staff-forms.js';

export function emptyPanel() {
  return h('p', { class: 'muted panel-empty' }, '在左侧列表中选择一条留言，查看详情并办理。');
}

/**
 * Show case `c` in `panel`, `message` on top. env: { tax, depts, done(view, message),
 * failed(err) → bool, onClose() }.
 */
export function showCase(panel, c, message, env) {
  const close = h('button', { type: 'button', class: 'btn btn-link panel-close', onclick: env.onClose }, '← 返回列表');
  const a = c.assignment;
  const versionPath = actionPath('public-version', c.case_id);
  replace(panel,
    h('div', { class: 'case-panel-inner' },
      close,
      message ? h('div', { class: 'alert alert-success', role: 'status' }, h('p', null, message)) : null,
      caseHeading(c, 'h2'),
      rejectionBlock(c.rejection),
      mergeNote({ merged_into: c.merged && c.merged.into, merged_count: (c.merged_cases || []).length }, { staff: true }),
      complaintsBox(c),
      c.escalated ? alertBox('本件经两次重办留言人仍不满意，已转总平台处理。', 'warning') : null,
      c.district_claimed ? alertBox(`留言人选择的区县是「${c.district_claimed.label}」，但所填地点位于「${c.district_label}」。受理时请确定该诉求所属区县。`, 'warning') : null,
      c.deadline_provisional ? alertBox(`${PROVISIONAL}：时限所在年份的法定节假日安排尚未确认，公布并由管理员更新工作日历后，请核对本件时限。`, 'warning') : null,
      h('section', { class: 'panel' }, caseFacts(c), pausedNote(c), facts([
        ['来源', c.channel_label || null],
        ['区县依据', DISTRICT_SOURCES[c.district_source] || null],
        ['附件链接', c.media_link ? h('a', { href: c.media_link, rel: 'noopener noreferrer nofollow', target: '_blank' }, c.media_link) : null],
        ['公开', publicText(c)],
        ['交办', a && a.no ? `第 ${a.no} 次交办 · ${formatDateTime(a.assigned_at)}` : null],
        ['签收时间', a && a.signed_at ? formatDateTime(a.signed_at) : null],
        ['可申请退回至', a && a.return_window_ends_at && withDepartment(c.state) ? formatDateTime(a.return_window_ends_at) : null],
        ['已延期', c.extensions_used ? `${c.extensions_used} 次` : null],
        ['回音壁', c.featured ? `已精选 · ${formatDateTime(c.featured.featured_at)}` : null],
        ['关注人数', c.followers ? `${c.followers} 人（邮箱不显示）` : null],
      ])),
      unreachableNote(c),
      similarSection(c),
      pendingBox(c.pending),
      reviewBox(c.reply_review),
      actionsSection(c, env),
      c.state !== 'submitted'
        ? publicVersionSection(c, env.done, { submit: versionPath ? (body, options) => staffPost(versionPath, body, options) : null, failed: env.failed })
        : null,
      showcaseSection(c, env),
      caseContent(c),
      photosSection(c, { actions: hidePhoto(c, env) }),
      filesSection(c, env),
      infoRequestsSection(c.info_requests),
      contactSection(c.contact),
      assignmentBox(a),
      repliesSection(c.replies, { photoActions: hidePhoto(c, env) }),
      timelineSection(c.events || c.timeline, { title: '全部事件记录' })));
  panel.focus({ preventScroll: true });
}

const fileSize = (n) => (n >= 1048576 ? `${(n / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`);

/** 来信附件 (市长信箱): a mailed case's files that are not photos, for staff only. 下载 asks for a
 * link good for a minute (GET /api/staff/cases/{id}/files/{n}) and follows it: the file comes
 * as a download from the private bucket, never shown on this page. */
function filesSection(c, env) {
  const files = c.files || [];
  if (!files.length) return null;
  const status = h('p', { class: 'field-error', role: 'alert', hidden: true });
  const item = (f, n) => {
    const meta = h('span', { class: 'muted' }, ` · ${fileSize(f.size)}${f.kept ? '' : ' · 超过大小上限，未保存'}`);
    if (!f.kept) return h('li', null, h('span', null, f.name), meta);
    const button = h('button', { type: 'button', class: 'btn btn-secondary btn-small file-download' }, '下载');
    button.setAttribute('aria-label', `下载附件 ${f.name}`);
    button.addEventListener('click', async () => {
      button.disabled = true;
      status.hidden = true;
      try {
        const link = await staffGet(`/api/staff/cases/${encodeURIComponent(c.case_id)}/files/${n}`);
        window.location.assign(link.url);
      } catch (err) {
        if (!(env.failed && env.failed(err))) {
          status.textContent = err.message;
          status.hidden = false;
        }
      } finally {
        button.disabled = false;
      }
    });
    return h('li', null, h('span', null, f.name), meta, ' ', button);
  };
  return h('section', { class: 'panel case-files' },
    h('h2', null, '来信附件（仅工作人员可见）'),
    h('ul', { class: 'plain-list' }, files.map(item)),
    status,
    h('p', { class: 'hint' }, '附件来自留言人的邮件，未经审查：打开前请先查杀病毒。下载链接一分钟内有效。'));
}

/** 并件不满意: the citizens of merged cases not satisfied with this case's latest reply. */
function complaintsBox(c) {
  const current = (c.merged_complaints || []).filter((m) => m.current);
  if (!current.length) return null;
  return h('div', { class: 'alert alert-warning merged-complaints', role: 'note' },
    h('p', { class: 'alert-title' }, `并件不满意：并入本件的 ${current.length} 件诉求的留言人对最新答复不满意`),
    h('ul', null, current.map((m) => h('li', null,
      h('a', { href: `staff.html?case=${encodeURIComponent(m.case_id)}` }, m.case_id),
      ` · ${formatDateTime(m.at)}`, m.comment ? `：${m.comment}` : ''))),
    h('p', null, '是否重办由本件留言人的评价决定；请研判是否需要督办、补充答复或联系这些留言人。'));
}

const TRIAGE = new Set(['submitted', 'accepted']);
const similarMeta = (i) => [i.case_id, i.state_label, i.lead, i.distance_m !== null ? `相距约 ${i.distance_m} 米` : null,
  `文字相似度 ${Math.round(i.similarity * 100)}%`].filter(Boolean).join(' · ');

/** 可能重复: at triage, the open cases (public or not) most like this one, found after the
 * panel shows (GET /api/staff/cases/{id}/similar). */
function similarSection(c) {
  if (!TRIAGE.has(c.state)) return null;
  const body = h('div', { 'aria-live': 'polite' }, h('p', { class: 'muted' }, '正在查找相似的在办诉求…'));
  staffGet(`/api/staff/cases/${encodeURIComponent(c.case_id)}/similar`).then(({ items }) => {
    if (!items.length) return replace(body, h('p', { class: 'muted' }, '未发现相似的在办诉求。'));
    const into = (i) => {
      const input = section.closest('.case-panel-inner')?.querySelector('input[name="into"]');
      if (!input) return;
      const details = input.closest('details');
      if (details) details.open = true;
      input.value = i.case_id;
      input.focus();
    };
    return replace(body,
      h('ul', { class: 'similar-list' }, items.map((i) => h('li', { class: 'similar-item' },
        h('a', { href: `staff.html?case=${encodeURIComponent(i.case_id)}` }, i.title),
        h('p', { class: 'muted similar-meta' }, similarMeta(i)),
        h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => into(i) }, '并入此件')))),
      h('p', { class: 'hint' }, '确属同一问题的，点“并入此件”后在下方“并件”中确认：主件答复后会同时告知本件留言人。'));
  }).catch(() => replace(body, h('p', { class: 'muted' }, '相似诉求暂时无法查询，不影响受理。')));
  const section = h('section', { class: 'panel similar-staff' }, h('h2', null, '可能重复的诉求'), body);
  return section;
}

/** 隐藏: a coordinator hides a photo from the public with a note (an internal event). */
function hidePhoto(c, env) {
  const path = (c.actions || []).includes('hide-photo') ? actionPath('hide-photo', c.case_id) : null;
  if (!path) return null;
  return (p) => {
    if (p.hidden) return null;
    const slot = h('div', { class: 'photo-hide' });
    const open = h('button', { type: 'button', class: 'btn btn-secondary btn-small' }, '隐藏');
    open.setAttribute('aria-label', '对公众隐藏这张照片');
    open.addEventListener('click', () => {
      const note = h('textarea', { name: 'note', rows: '2', 'aria-label': '隐藏理由', placeholder: '隐藏理由，如：含人脸、车牌' });
      const error = h('p', { class: 'field-error', role: 'alert', hidden: true });
      const confirm = h('button', { type: 'submit', class: 'btn btn-danger btn-small' }, '确认隐藏');
      const cancel = h('button', { type: 'button', class: 'btn btn-link btn-small', onclick: () => replace(slot, open) }, '取消');
      const form = h('form', { class: 'form photo-hide-form', novalidate: true }, note, error, h('div', { class: 'form-actions' }, confirm, cancel));
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const text = note.value.trim();
        if (text.length < 2) {
          error.textContent = '请写明隐藏理由（至少 2 个字）';
          error.hidden = false;
          note.focus();
          return;
        }
        confirm.disabled = true;
        try {
          const view = await staffPost(path, { photo: p.id, note: text });
          env.done(view, '照片已对公众隐藏。');
        } catch (err) {
          confirm.disabled = false;
          if (!(env.failed && env.failed(err))) {
            error.textContent = err.message;
            error.hidden = false;
          }
        }
      });
      replace(slot, form);
      note.focus();
    });
    return replace(slot, open);
  };
}

function publicText(c) {
  if (!c.public) return '留言人不同意公开';
  if (c.published) return '留言人同意公开 · 已在留言板展示';
  if (c.approved_public) return '留言人同意公开 · 总平台已同意公开';
  return '留言人同意公开 · 尚未审核公开';
}

function pendingBox(p) {
  if (!p) return null;
  const what = p.type === 'extension' ? `申请延期 ${p.working_days || ''} 个工作日` : '申请退回';
  return h('section', { class: 'alert alert-warning' },
    h('p', { class: 'alert-title' }, `待审申请：${p.department ? p.department.name : ''}${what}`),
    p.reason ? h('p', null, `理由：${p.reason}`) : null,
    p.at ? h('p', { class: 'muted' }, `申请时间：${formatDateTime(p.at)}`) : null);
}

/** 答复审核: the lead's reply awaiting this platform's review, or the note it was returned with. */
function reviewBox(r) {
  if (!r) return null;
  if (r.waiting && r.draft) {
    return repliesSection([r.draft], {
      title: '待审核的答复',
      intro: alertBox(`承办单位已答复，须经本平台审核通过后才告知留言人${r.late ? '（答复时已超过答复时限）' : ''}。`, 'warning'),
    });
  }
  if (!r.returned_note) return null;
  return alertBox(`答复已退回承办单位修改${r.returned_at ? `（${formatDateTime(r.returned_at)}）` : ''}`, 'info',
    h('p', null, `审核意见：${r.returned_note}`));
}

function assignmentBox(a) {
  if (!a || !a.co_handlers || !a.co_handlers.length) return null;
  return h('section', { class: 'panel' },
    h('h2', null, '协办单位意见'),
    h('ul', { class: 'plain-list' }, a.co_handlers.map((d) => {
      const text = d.input && typeof d.input === 'object' ? d.input.text : d.input;
      return h('li', null, h('strong', null, d.name), '：',
        text ? h('span', { class: 'prewrap' }, text) : h('span', { class: 'muted' }, d.input_due_at ? `尚未提交（时限 ${formatDateTime(d.input_due_at)}）` : '尚未提交'),
        text && d.input_at ? h('span', { class: 'muted' }, `（${formatDateTime(d.input_at)}）`) : null);
    })));
}

const DISTRICT_SOURCES = {
  point: '按地图标注的位置确定',
  address: '按地址中的区县名确定',
  citizen: '留言人选择',
  coordinator: '总平台受理时确定',
};

/** The offered actions this console has a form for, titled and routed by the lifecycle. */
function actionsSection(c, env) {
  const offered = (c.actions || []).filter((a) => FORMS[a]);
  const usable = offered.filter((a) => actionPath(a, c.case_id));
  if (!offered.length) return null;
  if (!usable.length) {
    return h('section', { class: 'panel actions-panel' }, h('h2', null, '办理操作'),
      alertBox('办理操作暂时无法显示，请稍后刷新页面重试。', 'error'));
  }
  return h('section', { class: 'panel actions-panel' },
    h('h2', null, '办理操作'),
    usable.map((a, i) => h('details', { class: 'action', open: i === 0 },
      h('summary', null, actionLabel(a)),
      FORMS[a](c, { ...env, send: (body, options) => staffPost(actionPath(a, c.case_id), body, options) }))));
}
