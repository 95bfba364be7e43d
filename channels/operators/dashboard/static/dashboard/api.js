// The HTTP API, with the operator's token. The token lives in sessionStorage: it is gone
// when the tab closes, and no other site can read it.

const KEY = 'ocpp-cable.token'
let base = '/api/v1'
const listeners = new Set()

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: value => sessionStorage.setItem(KEY, value),
  clear: () => sessionStorage.removeItem(KEY),
}

export function setBase(url) {
  base = url.replace(/\/$/, '')
}

// `fn(message)` runs when the API refuses the token: the page goes back to the login form.
export function onUnauthorized(fn) {
  listeners.add(fn)
}

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`)
    this.status = status
    this.problem = problem
  }
}

export async function api(path, { method = 'GET', body, query } = {}) {
  const url = new URL(base + path, location.href)
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, value)
  }
  const headers = { Accept: 'application/json, application/problem+json' }
  if (token.get()) headers.Authorization = `Bearer ${token.get()}`
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  let data = null
  try {
    data = text ? JSON.parse(text) : null
  } catch {
    data = { detail: text.slice(0, 200) }
  }
  if (response.status === 401) {
    const message = data?.detail || 'The token was refused.'
    for (const fn of listeners) fn(message)
  }
  if (!response.ok) throw new ApiError(response.status, data)
  return data
}

// The pages of a list, `limit` at a time, up to `max` items (for open sessions).
export async function list(path, query = {}, { limit = 100, max = 500 } = {}) {
  const items = []
  for (let offset = 0; items.length < max; offset += limit) {
    const page = await api(path, { query: { ...query, limit, offset } })
    items.push(...page.items)
    if (page.items.length < limit || items.length >= page.total) break
  }
  return items.slice(0, max)
}
