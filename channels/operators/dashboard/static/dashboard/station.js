// `#/stations/<id>`: one station, its connectors, reservations and sessions, the commands,
// the operations its version takes, its messages.
import { api, ApiError } from './api.js'
import { buttons, knowVersion, registrationButtons, remoteStop, rotatePassword, speaks2 } from './commands.js'
import { debounce, h, kwh, money, onlineBadge, replace, statusChip, time } from './dom.js'
import { leniencyPanel } from './leniency.js'
import { watchStation } from './live.js'
import { reservationsTable, reserve, stationReservations } from './reservations.js'
import { messageLog } from './message_log.js'
import { floorSelector } from './security_floor.js'
import { syncCards } from './session.js'
import { removeStation, setPassword } from './station_admin.js'
import { stationOperations } from './station_ops.js'
import { transactionStatusButton } from './transaction_status.js'

const MAIN_FIELDS = ['ocpp_version', 'registration', 'vendor', 'model', 'firmware_version', 'boot_status', 'booted_at', 'last_seen', 'auth']
const NOT_FIELDS = new Set(['connectors', 'open_transactions', 'connected']) // shown elsewhere

// A 1.6 connector is an EVSE of its own; a 2.x EVSE's connectors read "EVSE/connector".
function connectorName(c) {
  if (c.connector_id === 0) return '0 (station)'
  return c.evse_id == null || c.evse_id === c.connector_id ? String(c.connector_id) : `${c.evse_id}/${c.connector_id}`
}

export function stationView(root, stationId) {
  const cards = new Map() // transaction id -> SessionCard
  let connectors = []
  const badge = h('span')
  const problem = h('p', { class: 'problem', role: 'alert' })
  const failed = error => replace(problem, error.message)
  const details = h('dl', { class: 'details' })
  const moreDetails = h('dl', { class: 'details' })
  const connectorRows = h('tbody')
  const reservations = h('div')
  const sessions = h('div', { class: 'sessions' })
  const transactions = h('tbody')
  const messages = messageLog(stationId)
  // Only a station that logs in with a password has one to rotate.
  const rotate = h('button', { type: 'button', hidden: true, title: 'ChangeConfiguration AuthorizationKey / SetVariables BasicAuthPassword',
    onclick: () => rotatePassword(stationId).then(() => loadStation()).catch(failed) }, 'Rotate password')
  // Accept, set pending, reject: those the station is not.
  const registration = h('span')
  const floor = h('span')
  const leniency = leniencyPanel(stationId, () => loadStation().catch(failed))
  const operations = stationOperations(stationId)
  // Its password set, made here (shown once, in `secret`) or typed, or removed; the station removed.
  let connected = false
  let alive = true // false once the page is left
  const secret = h('div', { class: 'station-secret' })
  const password = h('button', { type: 'button', class: 'set-password', title: 'PATCH /stations/{id}: the password it must log in with',
    onclick: () => setPassword(stationId, secret).then(done => done && loadStation()).catch(failed) }, 'Set password')
  const remove = h('button', { type: 'button', class: 'danger remove-station',
    onclick: () => removeStation(stationId, connected).then(gone => {
      if (!gone) return
      alive = false // what its going off line stirs up asks for a station no longer there
      location.hash = '#/'
    }).catch(failed) }, 'Remove station')

  replace(root,
    h('section', {},
      h('h1', {}, 'Station ', h('span', { class: 'id' }, stationId), ' ', badge),
      problem,
      h('p', {}, buttons(stationId), ' ', rotate, ' ',
        h('a', { href: `/s/${encodeURIComponent(stationId)}`, target: '_blank', rel: 'noopener' }, 'public page')),
      h('p', { class: 'actions admin' }, password, remove), secret,
      h('p', {}, 'Registration: ', registration),
      h('p', {}, 'Security profile floor: ', floor),
      leniency.element,
      details,
      h('details', { class: 'fields' }, h('summary', {}, 'All fields'), moreDetails)),
    h('section', {}, h('h2', {}, 'Connectors'),
      h('table', {}, h('thead', {}, h('tr', {},
        ['Connector', 'Status', 'Error', 'Info', 'Updated', ''].map(t => h('th', {}, t)))), connectorRows)),
    h('section', {}, h('h2', {}, 'Reservations'),
      h('p', {}, h('button', { type: 'button', title: 'ReserveNow', onclick: () => reserveHere() }, 'Reserve')),
      reservations),
    h('section', {}, h('h2', {}, 'Sessions'), sessions,
      h('table', { class: 'transactions' }, h('thead', {}, h('tr', {},
        ['Transaction', 'Connector', 'idTag', 'Start', 'Stop', 'Energy', 'Cost', 'Reason', ''].map(t => h('th', {}, t)))),
        transactions)),
    operations.element,
    messages.element)

  function showConnectors() {
    replace(connectorRows, connectors.map(c => h('tr', { dataset: { connector: c.connector_id } },
      h('td', {}, connectorName(c)),
      h('td', {}, statusChip(c.connector_id, c.status)),
      h('td', {}, c.error_code ?? ''),
      h('td', {}, c.info ?? ''),
      h('td', {}, time(c.updated_at)),
      h('td', {}, c.connector_id > 0
        ? [buttons(stationId, c.evse_id ?? c.connector_id), ' ',
            h('button', { type: 'button', title: 'ReserveNow', onclick: () => reserveHere(c.evse_id ?? c.connector_id) }, 'Reserve')]
        : ''))))
  }

  // `place`: the connector (a 2.x station's EVSE) the form starts with.
  async function reserveHere(place) {
    await reserve(stationId, place)
    await loadReservations().catch(failed)
  }

  async function loadReservations() {
    const items = await stationReservations(stationId)
    replace(reservations, reservationsTable(items, { changed: () => loadReservations().catch(failed) }))
  }

  async function loadStation() {
    if (!alive) return
    let station
    try {
      station = await api(`/stations/${encodeURIComponent(stationId)}`)
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        // Not once the page was left (a station just removed): the next view owns `root`.
        if (alive) replace(root, h('h1', {}, 'Unknown station ', h('span', { class: 'id' }, stationId)))
        return
      }
      throw error
    }
    replace(badge, onlineBadge(station.connected))
    connected = station.connected
    knowVersion(stationId, station.ocpp_version)
    rotate.hidden = station.auth !== 'password'
    replace(registration, h('b', { class: 'registration' }, station.registration), ' ',
      registrationButtons(stationId, station.registration, () => loadStation().catch(failed)))
    replace(floor, floorSelector(station, () => loadStation().catch(failed)))
    leniency.show(station)
    operations.show(station)
    connectors = station.connectors ?? []
    showConnectors()
    const field = key => [h('dt', {}, key.replaceAll('_', ' ')), h('dd', {}, shown(station[key]))]
    replace(details, MAIN_FIELDS.filter(key => key in station).map(field))
    const rest = Object.keys(station).filter(key => !MAIN_FIELDS.includes(key) && !NOT_FIELDS.has(key))
    replace(moreDetails, rest.sort().map(field))
  }

  async function loadTransactions() {
    const page = await api('/transactions', { query: { station_id: stationId, limit: 20 } })
    replace(transactions, page.items.map(t => h('tr', { dataset: { transaction: t.id } },
      h('td', {}, t.id), h('td', {}, t.connector_id), h('td', {}, h('code', {}, t.id_tag)),
      h('td', {}, time(t.start_time)), h('td', {}, t.stop_time ? time(t.stop_time) : 'open'),
      h('td', {}, kwh(t.energy_wh)), h('td', { class: 'cost', title: t.tariff ? `tariff ${t.tariff}` : 'not priced' }, money(t.cost, t.currency)),
      h('td', {}, t.stop_reason ?? ''),
      h('td', {}, t.stop_time ? '' : [
        h('button', { type: 'button', onclick: () => remoteStop(stationId, t) }, 'Remote stop'),
        speaks2(stationId) ? [' ', transactionStatusButton(stationId, t)] : null]))))
    syncCards(cards, page.items.filter(t => !t.stop_time), sessions)
  }

  // Reloads the live events call for, none once the page is left (the station removed).
  const whileHere = load => () => { if (alive) load() }
  const reloadStation = debounce(whileHere(() => loadStation().catch(failed)), 300)
  const reloadTransactions = debounce(whileHere(() => loadTransactions().catch(failed)), 300)
  const reloadLog = debounce(whileHere(messages.reload), 500)
  // What the station reports may end a reservation (Faulted, a transaction, its update).
  const reloadReservations = debounce(whileHere(() => loadReservations().catch(failed)), 500)

  const subscription = watchStation(stationId, event => {
    switch (event.event) {
      case 'online':
      case 'offline':
        replace(badge, onlineBadge(event.event === 'online'))
        connected = event.event === 'online'
        break
      case 'status': {
        // A 2.x station's event names the EVSE and its connector; 1.6's, the connector.
        const evse = event.evse_id ?? event.connector_id
        const connector = event.evse_connector_id ?? event.connector_id
        const known = connectors.find(c => (c.evse_id ?? c.connector_id) === evse && c.connector_id === connector)
        const now = { status: event.status, error_code: event.error_code, updated_at: event.at }
        if (known) Object.assign(known, now)
        else connectors = [...connectors, { evse_id: evse, connector_id: connector, ...now }]
          .sort((a, b) => (a.evse_id - b.evse_id) || (a.connector_id - b.connector_id))
        showConnectors()
        reloadReservations()
        break
      }
      case 'boot':
        reloadStation()
        break
      case 'transaction_started':
      case 'transaction_stopped':
        reloadTransactions()
        reloadReservations()
        break
      case 'meter_values':
        for (const card of cards.values()) {
          const t = card.transaction
          if (event.transaction_id != null ? event.transaction_id === t.id : event.connector_id === t.connector_id) {
            card.meterValues(event)
          }
        }
        break
    }
    reloadLog() // whatever happened is in the log now
  })

  // The transactions' buttons are those of the station's version: known once it loaded.
  loadStation().catch(failed).then(() => loadTransactions()).catch(failed)
  loadReservations().catch(failed)
  messages.reload()
  return () => {
    alive = false
    subscription.unsubscribe()
    operations.destroy()
    for (const card of cards.values()) card.destroy()
  }
}

function shown(value) {
  if (value === null || value === undefined || value === '') return '—'
  if (typeof value === 'string' && /^\d{4}-\d\d-\d\dT/.test(value)) return time(value)
  return typeof value === 'object' ? JSON.stringify(value) : String(value)
}
