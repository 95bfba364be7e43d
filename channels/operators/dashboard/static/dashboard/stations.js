// `#/`: every station with its state, and the sessions charging now.
import { api, list } from './api.js'
import { bulkSelection } from './bulk.js'
import { debounce, h, onlineBadge, replace, statusChip, time } from './dom.js'
import { StationWatch, watchNetwork } from './live.js'
import { syncCards } from './session.js'
import { sortable } from './sortable.js'
import { addStationForm } from './station_admin.js'

const PAGE = 100

export function stationsView(root) {
  const rows = new Map() // station id -> {station, tr}
  const cards = new Map() // transaction id -> SessionCard
  let filter = {}
  const bulk = bulkSelection() // the rows' checkboxes and the bar that acts on those ticked
  const add = addStationForm(() => loadStations(0).catch(failed))
  const summary = h('p', { class: 'summary' })
  const problem = h('p', { class: 'problem', role: 'alert' })
  const failed = error => replace(problem, error.message)
  const tbody = h('tbody')
  const more = h('button', { type: 'button', hidden: true, onclick: () => loadStations(rows.size).catch(failed) }, 'More')
  const sessions = h('div', { class: 'sessions' })
  const noSessions = h('p', { class: 'none' }, 'No session is open.')
  const search = h('input', { type: 'search', name: 'q', placeholder: 'station id contains…' })
  const connected = h('select', { name: 'connected' },
    h('option', { value: '' }, 'all'), h('option', { value: 'true' }, 'online'),
    h('option', { value: 'false' }, 'offline'))
  const filterForm = h('form', { class: 'filter', onsubmit: event => {
    event.preventDefault()
    filter = { q: search.value.trim(), connected: connected.value }
    loadStations(0).catch(failed)
  } }, search, connected, h('button', {}, 'Filter'))

  replace(root,
    h('section', {},
      h('h1', {}, 'Stations'), summary, problem, add, filterForm, bulk.bar,
      sortable(h('table', { class: 'stations' },
        h('thead', {}, h('tr', {}, h('th', { dataset: { sortable: 'false' } }, bulk.all),
          ['Station', 'State', 'Model', 'Connectors', 'Last seen'].map(t => h('th', {}, t)))),
        tbody)),
      more),
    h('section', {}, h('h2', {}, 'Live sessions'), noSessions, sessions))

  function row(station) {
    const connectors = (station.connectors ?? []).filter(c => c.connector_id > 0)
    const tr = h('tr', { dataset: { station: station.id, online: station.connected } },
      h('td', {}, bulk.box(station.id)),
      h('td', {}, h('a', { href: `#/stations/${encodeURIComponent(station.id)}` }, station.id)),
      h('td', {}, onlineBadge(station.connected)),
      h('td', { class: 'model' }, [station.vendor, station.model].filter(Boolean).join(' ') || '—'),
      // Per EVSE: a 1.6 connector is one, and the network view names 2.x stations' so.
      h('td', {}, connectors.length ? connectors.map(c => statusChip(c.evse_id ?? c.connector_id, c.status)) : '—'),
      h('td', {}, time(station.last_seen)))
    const old = rows.get(station.id)
    if (old) old.tr.replaceWith(tr)
    else tbody.append(tr)
    rows.set(station.id, { station, tr })
  }

  async function loadStations(offset) {
    const page = await api('/stations', { query: { ...filter, limit: PAGE, offset } })
    if (offset === 0) {
      tbody.replaceChildren()
      rows.clear()
      bulk.forget()
    }
    page.items.forEach(row)
    bulk.changed()
    more.hidden = rows.size >= page.total
    if (!page.total) tbody.append(h('tr', {}, h('td', { colspan: 6, class: 'none' }, 'No station yet.')))
  }

  async function loadSummary() {
    const s = await api('/status')
    replace(summary, `${s.stations.total} stations, ${s.stations.connected} online · `,
      `${s.transactions.open} open sessions · ${s.commands.open} commands waiting`)
  }

  async function loadSessions() {
    const open = await list('/transactions', { state: 'open' })
    syncCards(cards, open, sessions)
    noSessions.hidden = cards.size > 0
    watch.set(open.map(t => t.station_id))
  }

  // Meter values reach the session they belong to (or the open one on that connector),
  // and only from its own station: a station may name another's transaction id.
  const watch = new StationWatch(event => {
    if (event.event !== 'meter_values') return
    for (const card of cards.values()) {
      const t = card.transaction
      const ours = t.station_id === event.station_id && (event.transaction_id != null
        ? event.transaction_id === t.id
        : t.connector_id === event.connector_id)
      if (ours) card.meterValues(event)
    }
  })

  // Could the list (all of it loaded, as filtered) be missing this station?
  function listable(id, changed) {
    if (!more.hidden) return false
    if (filter.q && !id.includes(filter.q)) return false
    return !filter.connected || String(changed.online) === filter.connected
  }

  const reloadSessions = debounce(() => loadSessions().catch(failed), 300)
  const reloadStations = debounce(() => loadStations(0).catch(failed), 500)
  const reloadSummary = debounce(() => loadSummary().catch(failed), 1000)

  // The network view: only what changed, once a second.
  const network = watchNetwork(({ stations = {} }) => {
    for (const [id, changed] of Object.entries(stations)) {
      const known = rows.get(id)
      if (!known) {
        if (listable(id, changed)) reloadStations() // a new station, or one back in the filter
      } else {
        const station = { ...known.station }
        if ('online' in changed) station.connected = changed.online
        if ('model' in changed) [station.vendor, station.model] = [null, changed.model]
        if ('seen' in changed) station.last_seen = changed.seen
        if (changed.connectors) {
          const byId = new Map((station.connectors ?? []).map(c => [String(c.evse_id ?? c.connector_id), { ...c }]))
          for (const [cid, status] of Object.entries(changed.connectors)) {
            byId.set(cid, { ...(byId.get(cid) ?? { evse_id: Number(cid), connector_id: Number(cid) }), status })
          }
          station.connectors = [...byId.values()].sort((a, b) => (a.evse_id ?? a.connector_id) - (b.evse_id ?? b.connector_id))
        }
        row(station)
      }
      if (changed.started || changed.stopped) reloadSessions()
    }
    reloadSummary()
  })

  loadStations(0).catch(failed)
  loadSummary().catch(failed)
  loadSessions().catch(failed)
  return () => {
    network.unsubscribe()
    watch.close()
    for (const card of cards.values()) card.destroy()
  }
}
