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

// A body the API's schema refused names each field at fault (its place in the body, and why).
function said(status, problem) {
  const text = problem?.detail || problem?.title || `HTTP ${status}`
  const errors = Array.isArray(problem?.errors) ? problem.errors : []
  const fields = errors.map(e => `${(e.loc ?? []).filter(part => part !== 'body').join('.')}: ${e.msg}`)
  return fields.length ? `${text} (${fields.join('; ')})` : text
}

export class ApiError extends Error {
  constructor(status, problem) {
    super(said(status, problem))
    this.status = status
    this.problem = problem
  }
}

function request(path, { method = 'GET', body, query, accept = 'application/json' } = {}) {
  const url = new URL(base + path, location.href)
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, value)
  }
  const headers = { Accept: `${accept}, application/problem+json` }
  if (token.get()) headers.Authorization = `Bearer ${token.get()}`
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  return fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  })
}

// The body as JSON (a problem+json for an error); text that is none, as a problem's detail.
async function read(response) {
  const text = await response.text()
  try {
    return text ? JSON.parse(text) : null
  } catch {
    return { detail: text.slice(0, 200) }
  }
}

async function refused(response) {
  const data = await read(response)
  if (response.status === 401) {
    const message = data?.detail || 'The token was refused.'
    for (const fn of listeners) fn(message)
  }
  return new ApiError(response.status, data)
}

export async function api(path, options = {}) {
  const response = await request(path, options)
  if (!response.ok) throw await refused(response)
  return read(response)
}

// A file the API serves to operators only (a station's uploaded log): its bytes, fetched
// with the token, which a plain link would not send.
export async function download(path) {
  const response = await request(path, { accept: 'application/octet-stream' })
  if (!response.ok) throw await refused(response)
  return response.blob()
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
