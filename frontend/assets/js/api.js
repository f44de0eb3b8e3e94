// fetch wrapper for the /api contract (docs/API.md): JSON in and out, one error envelope.

const STAFF_KEY = 'wenzheng.staff';
const TIMEOUT_MS = 20000;
export const NETWORK_MESSAGE = '网络异常，请稍后重试';

export class ApiError extends Error {
  constructor(status, code, message, fields = [], messageEn = '', cases = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fields = Array.isArray(fields) ? fields : [];
    this.messageEn = messageEn;
    this.cases = Array.isArray(cases) ? cases : []; // a 409 blocked by open cases
  }
}

const STATUS_MESSAGES = {
  400: '请求内容有误，请检查后重试',
  401: '身份验证失败或链接已失效',
  403: '没有权限执行此操作',
  404: '未找到相关内容',
  409: '状态已发生变化，请刷新后重试',
  410: '链接已失效',
  413: '提交的内容过长',
  415: '请求格式不受支持',
  429: '操作过于频繁，请稍后再试',
};

function fallbackMessage(status, hasEnvelope) {
  // A 404 without our envelope means the API itself is not reachable (e.g. static server only).
  if (!hasEnvelope && (status === 404 || status >= 500)) return '服务暂时不可用，请稍后重试';
  return STATUS_MESSAGES[status] || '服务暂时不可用，请稍后重试';
}

export function staffSession() {
  try {
    return JSON.parse(sessionStorage.getItem(STAFF_KEY) || 'null');
  } catch {
    return null;
  }
}
export function saveStaffSession(session) {
  sessionStorage.setItem(STAFF_KEY, JSON.stringify(session));
}
export function clearStaffSession() {
  sessionStorage.removeItem(STAFF_KEY);
}

export function withQuery(path, query) {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, value);
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** A fresh Idempotency-Key: one per intended action, reused when the same body is sent again. */
export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * request('/api/cases', {method: 'POST', body, staff: true, linkToken, idempotencyKey, query})
 * (``bearer``: a citizen session's token, 我的诉求)
 * Resolves to the parsed JSON (or null for an empty body); rejects with ApiError.
 */
export async function request(path, options = {}) {
  const { method = 'GET', body, query, staff, linkToken, idempotencyKey, bearer } = options;
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (staff) {
    const session = staffSession();
    if (session && session.session_token) headers.Authorization = `Bearer ${session.session_token}`;
  }
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (linkToken) headers['X-Link-Token'] = linkToken;
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  let response;
  let text;
  try {
    response = await fetch(withQuery(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      signal: controller.signal,
    });
    text = await response.text();
  } catch {
    throw new ApiError(0, 'network_error', NETWORK_MESSAGE);
  } finally {
    clearTimeout(timer);
  }

  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!response.ok) {
    const envelope = data && typeof data === 'object' ? data.error : null;
    throw new ApiError(
      response.status,
      (envelope && envelope.code) || `http_${response.status}`,
      (envelope && envelope.message) || fallbackMessage(response.status, Boolean(envelope)),
      envelope && envelope.fields,
      envelope && envelope.message_en,
      envelope && envelope.cases,
    );
  }
  if (data === undefined) throw new ApiError(response.status, 'bad_response', '服务器返回了无法识别的内容，请稍后重试');
  return data;
}

export const get = (path, options = {}) => request(path, { ...options, method: 'GET' });
export const post = (path, body = {}, options = {}) => request(path, { ...options, method: 'POST', body });

