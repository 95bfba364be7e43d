// Tables of what a station answered entry by entry (each variable read or set, each monitor
// set or cleared), and of what its reports held.
import { h } from './dom.js'

const GOOD = new Set(['Accepted', 'accepted'])
const PARTLY = new Set(['RebootRequired'])

// A station's status word, coloured: accepted, accepted on a condition, or not.
export function outcome(status) {
  const kind = GOOD.has(status) ? 'ok' : PARTLY.has(status) ? 'warn' : 'bad'
  return h('span', { class: `chip outcome-${kind}` }, status ?? '?')
}

// statusInfo (a reason code and maybe more) as one line.
export function info(statusInfo) {
  if (!statusInfo) return ''
  return statusInfo.additionalInfo ? `${statusInfo.reasonCode}: ${statusInfo.additionalInfo}` : statusInfo.reasonCode ?? ''
}

// `rows`: arrays of cells (text or nodes) with, as `dataset`, what a row is named by.
export function table(className, heads, rows, empty = 'Nothing.') {
  const body = rows.map(({ cells, dataset }) => h('tr', { dataset }, cells.map(cell => h('td', {}, cell))))
  if (!body.length) body.push(h('tr', {}, h('td', { colspan: heads.length, class: 'none' }, empty)))
  return h('table', { class: className }, h('thead', {}, h('tr', {}, heads.map(t => h('th', {}, t)))), h('tbody', {}, body))
}
