// A station's message log (GET /messages), newest first, filtered by action, direction,
// message type and time range (UTC) as the API takes them; "More" goes on to older pages
// from the oldest row held (before_id, which stays put while new messages come in).
import { api } from './api.js'
import { h, replace, time, utcInstant } from './dom.js'

const PAGE = 25
const MAX_ROWS = 500 // a busy station's page stays light
// The actions offered as the field is typed (any other may be typed).
const ACTIONS = [
  'Authorize', 'BootNotification', 'CancelReservation', 'ChangeAvailability', 'ChangeConfiguration',
  'ClearCache', 'ClearChargingProfile', 'DataTransfer', 'FirmwareStatusNotification',
  'GetConfiguration', 'GetVariables', 'Heartbeat', 'MeterValues', 'NotifyEvent', 'NotifyReport',
  'RemoteStartTransaction', 'RemoteStopTransaction', 'RequestStartTransaction',
  'RequestStopTransaction', 'ReserveNow', 'Reset', 'SetChargingProfile', 'SetVariables',
  'StartTransaction', 'StatusNotification', 'StopTransaction', 'TransactionEvent',
  'TriggerMessage', 'UnlockConnector', 'UpdateFirmware',
]

export function messageLog(stationId) {
  const ids = new Set()
  let filter = {}
  let matching = 0 // the messages that match, as the newest page said
  let generation = 0 // a response to an earlier filter is dropped
  const problem = h('p', { class: 'problem', role: 'alert' })
  const failed = error => replace(problem, error.message)
  const rows = h('tbody')
  const count = h('p', { class: 'summary log-count' })
  const more = h('button', { type: 'button', hidden: true, onclick: () => load(false).catch(failed) }, 'More')
  const action = h('input', { name: 'action', list: 'log-actions', maxlength: 64, placeholder: 'any', size: 18 })
  const direction = h('select', { name: 'direction' },
    h('option', { value: '' }, 'any'), h('option', { value: 'in' }, '← in'), h('option', { value: 'out' }, '→ out'))
  const type = h('select', { name: 'message_type' },
    h('option', { value: '' }, 'any'), ['CALL', 'CALLRESULT', 'CALLERROR'].map(t => h('option', {}, t)))
  const since = h('input', { name: 'since', type: 'datetime-local' })
  const until = h('input', { name: 'until', type: 'datetime-local' })
  const form = h('form', { class: 'op log-filter', onsubmit: event => {
    event.preventDefault()
    filter = {
      action: action.value.trim(), direction: direction.value, message_type: type.value,
      since: utcInstant(since), until: utcInstant(until),
    }
    generation++
    load(true, true).catch(failed)
  }, onreset: () => {
    filter = {}
    generation++
    load(true, true).catch(failed)
  } },
  h('label', {}, 'Action', action), h('label', {}, 'Direction', direction), h('label', {}, 'Type', type),
  h('label', {}, 'Since, UTC', since), h('label', {}, 'Until, UTC', until),
  h('button', { class: 'primary' }, 'Filter'), h('button', { type: 'reset' }, 'All messages'),
  h('datalist', { id: 'log-actions' }, ACTIONS.map(a => h('option', { value: a }))))

  const element = h('section', {}, h('h2', {}, 'Message log'), form, problem, count,
    h('table', { class: 'log' }, h('thead', {}, h('tr', {},
      ['Time', 'Direction', 'Type', 'Action', 'Message id', 'Payload'].map(t => h('th', {}, t)))), rows),
    more)

  // first: the newest page, what is new on top (all of it again when `anew`, or when more
  // than a page came since the last look: the rows held never have gaps); else the page
  // older than the oldest row held.
  async function load(first, anew = false) {
    const oldest = rows.rows.length ? Number(rows.rows[rows.rows.length - 1].dataset.message) : undefined
    const query = { ...filter, station_id: stationId, limit: PAGE, before_id: first ? undefined : oldest }
    const mine = generation
    const page = await api('/messages', { query })
    if (mine !== generation) return // the filter changed meanwhile
    replace(problem)
    let fresh = page.items.filter(m => !ids.has(m.id))
    if (first && (anew || (ids.size && fresh.length && fresh.length === page.items.length))) {
      rows.replaceChildren()
      ids.clear()
      fresh = page.items
    }
    fresh.forEach(m => ids.add(m.id))
    const made = fresh.map(row)
    if (first) rows.prepend(...made)
    else rows.append(...made)
    while (rows.rows.length > MAX_ROWS) {
      const last = rows.rows[rows.rows.length - 1]
      ids.delete(Number(last.dataset.message))
      last.remove()
    }
    // A first page's total counts every message that matches; an older one's, those older.
    if (first) matching = page.total
    more.hidden = first ? rows.rows.length >= page.total : page.items.length >= page.total
    const filtered = Object.values(filter).some(Boolean)
    replace(count, rows.rows.length
      ? `${rows.rows.length} shown of ${matching}${filtered ? ' that match' : ''}`
      : filtered ? 'No message matches.' : 'No message yet.')
  }

  return {
    element,
    reload: () => load(true).catch(failed),
  }
}

function row(message) {
  const payload = message.payload === null || message.payload === undefined ? '' : JSON.stringify(message.payload)
  return h('tr', { class: `direction-${message.direction}`, dataset: { message: message.id } },
    h('td', {}, time(message.created_at)),
    h('td', {}, message.direction === 'in' ? '← in' : '→ out'),
    h('td', {}, message.message_type),
    h('td', {}, message.action ?? ''),
    h('td', {}, h('code', {}, message.message_id ?? '')),
    h('td', {}, payload.length > 80
      ? h('details', {}, h('summary', {}, payload.slice(0, 80) + '…'), h('pre', {}, JSON.stringify(message.payload, null, 2)))
      : h('code', {}, payload)))
}
