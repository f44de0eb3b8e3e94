// The case lifecycle as the API describes it (GET /api/lifecycle): states with their labels and
// properties, actions with their labels and routes, events with their labels. Pages keep no
// table of their own: they await lifecycle() before rendering, then ask the helpers below.
// Until the document is read (or if the request failed) a code is shown as itself and no
// action has a route.
import { get } from './api.js';

let promise = null;
let states = new Map();
let actions = new Map();
let events = new Map();

/** GET /api/lifecycle once per page; resolves to the document. */
export function lifecycle() {
  if (!promise) {
    promise = get('/api/lifecycle').then((doc) => {
      states = new Map((doc.states || []).map((s) => [s.code, s]));
      actions = new Map((doc.actions || []).map((a) => [a.code, a]));
      events = new Map((doc.events || []).map((e) => [e.code, e]));
      return doc;
    }).catch((err) => {
      promise = null;
      throw err;
    });
  }
  return promise;
}

/** A state's label; `shown` picks what the public reads (待补充 rather than 待补充材料). */
export function stateLabel(code, { shown = false } = {}) {
  const s = states.get(code);
  return (s && (shown ? s.public_label : s.label)) || code || '';
}

/** [{code, label}] of the states `keep(state)` accepts, in lifecycle order. */
export function stateOptions({ shown = false, keep = () => true } = {}) {
  return [...states.values()].filter(keep).map((s) => ({ code: s.code, label: shown ? s.public_label : s.label }));
}

/** Whether a case in this state is with a department, so its deadlines run (计时). */
export function withDepartment(code) {
  const s = states.get(code);
  return Boolean(s && s.with_department);
}

/** Whether a case in this state is done with (办结, 归档, 不予受理): nothing will follow. */
export function isTerminal(code) {
  const s = states.get(code);
  return Boolean(s && s.terminal);
}

/** An action's title (受理, 请留言人补充材料 …), or its code. */
export function actionLabel(code) {
  const a = actions.get(code);
  return (a && a.label) || code;
}

/** Where an action is posted, {case_id} filled in; null when the page cannot know. */
export function actionPath(code, caseId = '') {
  const a = actions.get(code);
  if (!a || !a.path) return null;
  return a.path.replace('{case_id}', encodeURIComponent(caseId));
}

export function eventLabel(code) {
  const e = events.get(code);
  return (e && e.label) || code;
}

const bodies = new Map();

/**
 * The length limits of an action's request body, from the schema the API checks it against
 * (GET /api/schemas/<schema>): {field: {min, max}}; empty when it cannot be read, and then
 * the server's answer names what is wrong.
 */
export function bodyLimits(code) {
  const a = actions.get(code);
  if (!a || !a.schema) return Promise.resolve({});
  if (!bodies.has(a.schema)) {
    bodies.set(a.schema, get(`/api/schemas/${encodeURIComponent(a.schema)}`).then((schema) => {
      const out = {};
      for (const [name, p] of Object.entries((schema && schema.properties) || {})) {
        if (p.type === 'string') out[name] = { min: p.minLength || 0, max: p.maxLength || 0 };
      }
      return out;
    }).catch(() => {
      bodies.delete(a.schema);
      return {};
    }));
  }
  return bodies.get(a.schema);
}
