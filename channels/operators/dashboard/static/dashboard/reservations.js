// Reservations: a 1.6 connector or a 2.x EVSE reserved (ReserveNow), every station's listed
// alike (`#/reservations`, and a station's on its page), one cancelled (CancelReservation).
import { api, ApiError } from './api.js'
import { entry, settle, speaks2 } from './commands.js'
import { ask } from './dialog.js'
import { h, replace, time } from './dom.js'

const HOLDING = new Set(['pending', 'active'])
const SHOWN = 100
// 2.0.1's IdTokenEnumType but NoAuthorization (2.1 takes any type; these are its usual ones).
const TOKEN_TYPES = ['ISO14443', 'ISO15693', 'Central', 'eMAID', 'KeyCode', 'Local', 'MacAddress']

const said = r => `reservation ${r.id} of ${r.reserves}${r.reason ? `: ${r.reason}` : ''}`

// Asks what to reserve at the station (`place`: the connector, or a 2.x station's EVSE, the
// form starts with), sends ReserveNow through the API and shows what the station answered.
export async function reserve(stationId, place) {
  const v2 = speaks2(stationId)
  const fields = v2
    ? [
        { name: 'id_tag', label: 'idToken', required: true, maxlength: 255 },
        { name: 'id_token_type', label: 'idToken type', type: 'select', options: TOKEN_TYPES, value: TOKEN_TYPES[0] },
        { name: 'evse_id', label: 'EVSE (empty: any)', type: 'number', min: 1, value: place },
        { name: 'connector_type', label: 'Connector type (optional)', maxlength: 20, placeholder: 'e.g. cType2' },
        { name: 'parent_id_tag', label: 'Group idToken (default: its parent)', maxlength: 255 },
      ]
    : [
        { name: 'id_tag', label: 'idTag', required: true, maxlength: 20 },
        { name: 'connector_id', label: 'Connector (0: any)', type: 'number', min: 0, value: place ?? 1, required: true },
        { name: 'parent_id_tag', label: 'Parent idTag (default: its parent)', maxlength: 20 },
      ]
  fields.push({ name: 'minutes', label: 'For how many minutes', type: 'number', min: 1, value: 30, required: true })
  const values = await ask(`Reserve at ${stationId}`, fields, 'Reserve')
  if (!values) return values
  const { minutes, ...body } = values
  body.expiry_date = new Date(Date.now() + minutes * 60_000).toISOString()
  const show = entry(stationId, 'ReserveNow')
  try {
    const made = await api(`/stations/${encodeURIComponent(stationId)}/reservations`, { method: 'POST', body })
    show(made.status, said(made))
    return await settled(made, show)
  } catch (error) {
    show(error instanceof ApiError ? `refused (${error.status})` : 'failed', error.message)
    return null
  }
}

export async function cancelReservation(reservation) {
  const yes = await ask(`Cancel reservation ${reservation.id} of ${reservation.reserves} at ${reservation.station_id}?`, [], 'Cancel it')
  if (!yes) return yes
  const show = entry(reservation.station_id, 'CancelReservation')
  try {
    const sent = await api(`/reservations/${reservation.id}`, { method: 'DELETE' })
    show('sent', said(sent))
    return await settled(sent, show)
  } catch (error) {
    show(error instanceof ApiError ? `refused (${error.status})` : 'failed', error.message)
    return null
  }
}

// The reservation once the station answered its last command.
async function settled(reservation, show) {
  await settle(reservation.command_id)
  const now = await api(`/reservations/${reservation.id}`)
  show(now.status, said(now))
  return now
}

// The table of `items`; `withStation`: a column naming each one's station. `changed` runs
// after a cancel.
export function reservationsTable(items, { withStation = false, changed = () => {} } = {}) {
  const heads = ['Id', ...(withStation ? ['Station'] : []), 'Reserves', 'idTag', 'Group', 'Expires', 'Status', 'Reason', 'Transaction', '']
  const rows = items.map(r => h('tr', { dataset: { reservation: r.id, status: r.status } },
    h('td', {}, r.id),
    withStation && h('td', {}, h('a', { href: `#/stations/${encodeURIComponent(r.station_id)}` }, r.station_id)),
    h('td', {}, r.reserves),
    h('td', {}, h('code', {}, r.id_tag), r.id_token_type ? ` ${r.id_token_type}` : ''),
    h('td', {}, r.parent_id_tag ? h('code', {}, r.parent_id_tag) : '—'),
    h('td', {}, time(r.expiry_date)),
    h('td', {}, h('span', { class: `chip reservation-${r.status}` }, r.status)),
    h('td', {}, r.reason ?? ''),
    h('td', {}, r.transaction_id ?? ''),
    h('td', {}, HOLDING.has(r.status)
      ? h('button', { type: 'button', title: 'CancelReservation', onclick: () => cancelReservation(r).then(changed) }, 'Cancel')
      : '')))
  if (!rows.length) rows.push(h('tr', {}, h('td', { colspan: heads.length, class: 'none' }, 'No reservations.')))
  return h('table', { class: 'reservations' }, h('thead', {}, h('tr', {}, heads.map(t => h('th', {}, t)))), h('tbody', {}, rows))
}

// One station's reservations holding a connector or EVSE, newest first.
export async function stationReservations(stationId) {
  const page = await api('/reservations', { query: { station: stationId, limit: SHOWN } })
  return page.items
}

// `#/reservations`: every station's, 1.6 and 2.x alike; the ended ones on demand.
export function reservationsView(root) {
  const problem = h('p', { class: 'problem', role: 'alert' })
  const failed = error => replace(problem, error.message)
  const summary = h('p', { class: 'summary' })
  const holder = h('div')
  const ended = h('input', { type: 'checkbox', onchange: () => load().catch(failed) })
  replace(root, h('section', {},
    h('h1', {}, 'Reservations'),
    h('p', {}, h('label', {}, ended, ' ended ones too (the last 100 of each station)'), ' ',
      h('button', { type: 'button', onclick: () => load().catch(failed) }, 'Refresh')),
    problem, summary, holder))

  async function load() {
    const page = await api('/reservations', { query: { all: ended.checked || undefined, limit: SHOWN } })
    replace(summary, `${page.total} ${ended.checked ? 'kept' : 'holding a connector or EVSE'}` +
      (page.total > page.items.length ? `, the newest ${page.items.length} shown` : ''))
    replace(holder, reservationsTable(page.items, { withStation: true, changed: () => load().catch(failed) }))
  }

  load().catch(failed)
  return () => {}
}
