// What the parts of the coordinator console share: the page's root, the staff calls and what
// happens when the session is lost.
import { $ } from './dom.js';
import { get, post, clearStaffSession } from './api.js';
import { signInForm } from './signin.js';

export const app = $('#app');

// A deadline in a year whose official holiday schedule is not confirmed (deadline_provisional).
export const PROVISIONAL = '时限按规则推算（该年度放假安排尚未公布）';

export const staffGet = (path, query) => get(path, { staff: true, query });
export const staffPost = (path, body, options = {}) => post(path, body, { ...options, staff: true });

export function signIn(notice) {
  signInForm(app, notice);
}

/** Any staff call answering 401 ends the session. */
export function sessionLost(err) {
  if (err && err.status === 401) {
    clearStaffSession();
    signIn('登录已过期或已在别处退出，请重新登录。');
    return true;
  }
  return false;
}
