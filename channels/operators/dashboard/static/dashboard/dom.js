// Building the page. Text from stations (vendor strings, payloads) only ever goes in as
// text nodes or attribute values, never as markup: nothing a charger sends can run here.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value)
    else if (key === 'dataset') Object.assign(el.dataset, value)
    else el.setAttribute(key, value === true ? '' : String(value))
  }
  append(el, children)
  return el
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue
    el.append(child instanceof Node ? child : String(child))
  }
}

export function replace(el, ...children) {
  el.replaceChildren()
  append(el, children)
  return el
}

// In UTC, as stations and the public page say it, whatever the browser's locale.
export function utc(iso) {
  const at = new Date(iso)
  if (Number.isNaN(at.getTime())) return String(iso)
  return `${at.toISOString().slice(0, 19).replace('T', ' ')} UTC`
}

// <input type="datetime-local"> has no zone: the page's times are UTC, so are its fields.
export const utcInstant = input => input.value ? new Date(`${input.value}Z`).toISOString() : undefined
export const utcInput = iso => iso ? new Date(iso).toISOString().slice(0, 16) : ''

export function time(iso) {
  if (!iso) return '—'
  return h('time', { datetime: iso, title: iso }, utc(iso))
}

export function kwh(wh) {
  return wh === null || wh === undefined ? '—' : `${(wh / 1000).toFixed(3)} kWh`
}

// A cost as the API gives it: exact decimal text and its ISO 4217 code.
export function money(cost, currency) {
  return cost === null || cost === undefined ? '—' : `${cost} ${currency ?? ''}`.trim()
}

export function kw(w) {
  return w === null || w === undefined ? '—' : `${(w / 1000).toFixed(2)} kW`
}

export function onlineBadge(online) {
  return h('span', { class: `badge ${online ? 'online' : 'offline'}` }, online ? 'online' : 'offline')
}

export function statusChip(connector, status) {
  const known = /^[A-Za-z]+$/.test(status ?? '') ? status : 'other'
  return h('span', { class: `chip status-${known}`, title: `connector ${connector}` },
    h('b', {}, connector), ' ', status ?? '?')
}

// Runs `fn` once, `ms` after the last of a burst of calls.
export function debounce(fn, ms) {
  let timer = null
  return (...args) => {
    clearTimeout(timer)
    timer = setTimeout(() => fn(...args), ms)
  }
}
