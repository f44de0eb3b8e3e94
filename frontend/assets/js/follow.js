// 关注诉求: the links of the follow e-mails. follow.html?do=confirm#t=… confirms a follow,
// follow.html?do=unsubscribe#t=… ends one. The token comes from the fragment (never sent to
// a server in the URL, never in a referrer) and is taken out of the address bar at once.
// Opening the page changes nothing: the visitor presses the button (a mail scanner that
// opens links does not follow or unfollow anyone).
import { h, $, replace } from './dom.js';
import { post } from './api.js';
import { alertBox, errorText, setBusy } from './ui.js';

const app = $('#app');
const what = new URLSearchParams(location.search).get('do');
const token = new URLSearchParams(location.hash.slice(1)).get('t') || '';
if (token) history.replaceState(null, '', location.pathname + location.search);

const PAGES = {
  confirm: {
    title: '确认关注',
    intro: '确认后，这条诉求答复、重办和办结时，我们会发邮件通知您；每封通知都附有取消关注的链接。',
    button: '确认关注',
    path: '/api/follows/confirm',
    done: (r) => (r.already ? '您已关注这条诉求，无需再次确认。' : '已关注：这条诉求有新进展时，我们会发邮件通知您。'),
  },
  unsubscribe: {
    title: '取消关注',
    intro: '取消后，您将不再收到这条诉求的办理进展邮件。',
    button: '取消关注',
    path: '/api/follows/unsubscribe',
    done: (r) => (r.already ? '您已取消关注这条诉求。' : '已取消关注：您不会再收到这条诉求的通知。'),
  },
};

// Errors that trying again cannot change.
const FINAL = new Set(['link_used', 'link_expired', 'link_not_found', 'case_finished', 'case_not_found']);

function caseLink(caseId) {
  return h('p', null, h('a', { href: `case.html?id=${encodeURIComponent(caseId)}` }, `查看诉求 ${caseId}`));
}

function render() {
  const page = PAGES[what];
  if (!page || !token) {
    replace(app, h('section', { class: 'panel' },
      h('h1', null, '关注诉求'),
      alertBox('链接不完整：请从邮件中完整复制链接后再打开。', 'error')));
    return;
  }
  const status = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: `btn ${what === 'unsubscribe' ? 'btn-secondary' : 'btn-primary'}` }, page.button);
  // The answer takes the button's place, and the focus with it.
  const show = (box) => {
    box.tabIndex = -1;
    replace(status, box);
    box.focus();
  };
  button.addEventListener('click', async () => {
    setBusy(button, true, '正在提交…');
    try {
      const r = await post(page.path, { token });
      button.remove();
      show(alertBox(page.done(r), 'success', caseLink(r.case_id)));
    } catch (err) {
      setBusy(button, false);
      if (FINAL.has(err.code)) button.remove(); // pressing again would not help
      show(alertBox(errorText(err), 'error'));
    }
  });
  replace(app, h('section', { class: 'panel follow-page' },
    h('h1', null, page.title),
    h('p', null, page.intro),
    status,
    h('div', { class: 'form-actions' }, button)));
}

render();
