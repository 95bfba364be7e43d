// What needs an operator: stations offline, connectors Faulted or Unavailable, and open
// transactions whose stop never came (the API's `stale`). Read from the API once logged
// in, kept current by the network view (StationsChannel); the menu's badge counts them,
// `#/alerts` lists them, a stale transaction with **Close**.
import { list } from './api.js'
import { debounce, h, replace, statusChip, time } from './dom.js'
import { watchNetwork } from './live.js'
import { sortable } from './sortable.js'
import { closeButton } from './transaction_close.js'

const TROUBLE = new Set(['Faulted', 'Unavailable'])
const MAX = 10_000 // stations and stale transactions read

const stations = new Map() // id -> {id, connected, last_seen, connectors}
let stale = []
let subscription = null
let epoch = 0 // one per login: an answer read for an earlier one is dropped
let problem = ''
const listeners = new Set()

const connectorKey = c => String(c.evse_id ?? c.connector_id)

export function current() {
  const all = [...stations.values()].sort((a, b) => a.id.localeCompare(b.id))
  const offline = all.filter(s => !s.connected)
  const connectors = all.flatMap(s => (s.connectors ?? [])
    .filter(c => TROUBLE.has(c.status)).map(c => ({ station: s, connector: c })))
  return { offline, connectors, stale, problem, count: offline.length + connectors.length + stale.length }
}

function changed() {
  for (const fn of listeners) fn(current())
}

async function loadStations() {
  const found = await list('/stations', {}, { limit: 500, max: MAX })
  return () => {
    stations.clear()
    for (const s of found) stations.set(s.id, s)
  }
}

async function loadStale() {
  const found = await list('/transactions', { state: 'open', stale: true }, { limit: 500, max: MAX })
  return () => { stale = found }
}

async function reload(read) {
  const asked = epoch
  let keep = () => {}
  try {
    keep = await read()
    problem = ''
  } catch (error) {
    problem = `Alerts cannot be read: ${error.message}`
  }
  if (asked !== epoch || !subscription) return
  keep()
  changed()
}

const reloadStations = debounce(() => reload(loadStations), 500)
const reloadStale = debounce(() => reload(loadStale), 1000)

// Closed by this page: out of the list at once (the live event's reload confirms it).
function closed(transactionId) {
  stale = stale.filter(t => t.id !== transactionId)
  changed()
}

function network({ stations: news = {} }) {
  let shown = false
  for (const [id, change] of Object.entries(news)) {
    const known = stations.get(id)
    if (!known) {
      reloadStations() // a station new to the network
    } else {
      if ('online' in change) known.connected = change.online
      if ('seen' in change) known.last_seen = change.seen
      if (change.connectors) {
        const byKey = new Map((known.connectors ?? []).map(c => [connectorKey(c), c]))
        for (const [key, status] of Object.entries(change.connectors)) {
          const c = byKey.get(key)
          if (c) c.status = status
          else known.connectors = [...(known.connectors ?? []), { evse_id: Number(key), connector_id: Number(key), status }]
        }
      }
      shown = true
    }
    // A start, a stop, a boot or a connector's status can make a transaction stale, or not.
    if (change.started || change.stopped || change.connectors || 'model' in change) reloadStale()
  }
  if (shown) changed()
}

// From login to logout.
export function start() {
  stop()
  subscription = watchNetwork(network)
  reload(loadStations)
  reload(loadStale)
}

export function stop() {
  epoch += 1
  subscription?.unsubscribe()
  subscription = null
  stations.clear()
  stale = []
  problem = ''
  changed()
}

export function onAlerts(fn) {
  listeners.add(fn)
  fn(current())
  return () => listeners.delete(fn)
}

// The menu's count.
export function badge(element) {
  return onAlerts(({ count }) => {
    element.hidden = count === 0
    element.textContent = String(count)
    element.title = `${count} alert${count === 1 ? '' : 's'}`
  })
}

const link = id => h('a', { href: `#/stations/${encodeURIComponent(id)}` }, id)
const none = (columns, text) => h('tr', {}, h('td', { colspan: columns, class: 'none' }, text))

export function alertsView(root) {
  const summary = h('p', { class: 'summary', role: 'status' })
  const problemLine = h('p', { class: 'problem', role: 'alert' })
  const offline = h('tbody')
  const connectors = h('tbody')
  const transactions = h('tbody')
  const closeOutcome = h('p', { class: 'close-outcome problem', role: 'status' })
  // A header '' heads a column of buttons, which sorts nothing.
  const th = t => h('th', { dataset: t ? {} : { sortable: 'false' } }, t)
  const table = (name, headers, tbody) => sortable(h('table', { class: `alerts ${name}` },
    h('thead', {}, h('tr', {}, headers.map(th))), tbody))

  replace(root, h('section', {},
    h('h1', {}, 'Alerts'), summary, problemLine,
    h('h2', {}, 'Stations offline'), table('offline', ['Station', 'Last seen'], offline),
    h('h2', {}, 'Connectors faulted or unavailable'),
    table('connectors', ['Station', 'Connector', 'Status', 'Station online'], connectors),
    h('h2', {}, 'Stale open transactions'),
    h('p', { class: 'summary' }, 'Open, but their stop never came: a later start on the connector, the station booted, or the connector went Available since they started.'),
    closeOutcome,
    table('stale', ['Id', 'Station', 'Connector', 'idTag', 'Started', ''], transactions)))

  const stopListening = onAlerts(alerts => {
    replace(summary, alerts.count ? `${alerts.count} alert${alerts.count === 1 ? '' : 's'}` : 'Nothing needs you now.')
    replace(problemLine, alerts.problem)
    offline.replaceChildren(...alerts.offline.map(s => h('tr', { dataset: { station: s.id } },
      h('td', {}, link(s.id)), h('td', { dataset: { sort: s.last_seen ?? '' } }, time(s.last_seen)))))
    if (!alerts.offline.length) offline.append(none(2, 'Every station is online.'))
    connectors.replaceChildren(...alerts.connectors.map(({ station, connector }) =>
      h('tr', { dataset: { station: station.id, connector: connectorKey(connector), status: connector.status } },
        h('td', {}, link(station.id)), h('td', { class: 'number' }, connectorKey(connector)),
        h('td', {}, statusChip(connectorKey(connector), connector.status)),
        h('td', {}, station.connected ? 'yes' : 'no'))))
    if (!alerts.connectors.length) connectors.append(none(4, 'No connector is faulted or unavailable.'))
    transactions.replaceChildren(...alerts.stale.map(t => h('tr', { dataset: { transaction: t.id } },
      h('td', { class: 'number' }, t.id), h('td', {}, link(t.station_id)),
      h('td', { class: 'number' }, t.evse_id ?? t.connector_id ?? '—'), h('td', { class: 'id' }, t.id_tag ?? '—'),
      h('td', { dataset: { sort: t.start_time } }, time(t.start_time)),
      // Refused as closed already (another operator, the station's own stop): read again.
      h('td', {}, closeButton(t, { where: closeOutcome, done: () => closed(t.id),
        refused: error => { if (error.status === 409) reloadStale() } })))))
    if (!alerts.stale.length) transactions.append(none(6, 'No stale transaction.'))
  })
  return stopListening
}
