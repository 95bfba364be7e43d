// The common commands, sent through the API, and their results as they come back.
import { api, ApiError } from './api.js'
import { ask } from './dialog.js'
import { h, replace } from './dom.js'

const WAIT = 30 // seconds the API holds a request for the station's answer
const OPEN = new Set(['queued', 'sent'])
const SHOWN = 20 // the panel's newest commands
const TRIGGERS = [
  'StatusNotification', 'BootNotification', 'Heartbeat', 'MeterValues',
  'DiagnosticsStatusNotification', 'FirmwareStatusNotification',
]

function entry(stationId, action) {
  const status = h('span', { class: 'status' }, 'sending')
  const detail = h('code', { class: 'detail' })
  const item = h('li', { class: 'command', dataset: { action, station: stationId, status: 'sending' } },
    h('b', {}, action), ' ', stationId, ' ', status, ' ', detail)
  const panel = document.getElementById('commands')
  const list = panel.querySelector('ol')
  panel.hidden = false
  list.prepend(item)
  while (list.children.length > SHOWN) list.lastElementChild.remove()
  return (state, text = '') => {
    item.dataset.status = state
    status.textContent = state
    replace(detail, text)
  }
}

// Sends `action` to the station; the result shows in the commands panel and is returned.
export async function run(stationId, action, payload) {
  const show = entry(stationId, action)
  try {
    const path = `/stations/${encodeURIComponent(stationId)}/commands`
    let record = await api(path, { method: 'POST', query: { wait: WAIT }, body: { action, payload } })
    show(record.status)
    // Still waiting after the API's wait (a slow station): ask again, a few times.
    for (let tries = 0; OPEN.has(record.status) && tries < 3; tries++) {
      record = await api(`/commands/${encodeURIComponent(record.id)}`, { query: { wait: WAIT } })
    }
    const said = record.response ? JSON.stringify(record.response) : record.error_code ?? ''
    show(record.status, said)
    return record
  } catch (error) {
    show(error instanceof ApiError ? `refused (${error.status})` : 'failed', error.message)
    return null
  }
}

export async function remoteStart(stationId, connectorId = 1) {
  const values = await ask(`Remote start on ${stationId}`, [
    { name: 'idTag', label: 'idTag', required: true, maxlength: 20 },
    { name: 'connectorId', label: 'Connector', type: 'number', min: 1, value: connectorId },
  ], 'Start')
  return values && run(stationId, 'RemoteStartTransaction', values)
}

export async function remoteStop(stationId, transactionId) {
  const yes = await ask(`Stop transaction ${transactionId} on ${stationId}?`, [], 'Stop')
  return yes && run(stationId, 'RemoteStopTransaction', { transactionId })
}

export async function reset(stationId) {
  const values = await ask(`Reset ${stationId}`, [
    { name: 'type', label: 'Type', type: 'select', options: ['Soft', 'Hard'], value: 'Soft' },
  ], 'Reset')
  return values && run(stationId, 'Reset', values)
}

export async function unlock(stationId, connectorId) {
  const yes = await ask(`Unlock connector ${connectorId} of ${stationId}?`, [], 'Unlock')
  return yes && run(stationId, 'UnlockConnector', { connectorId })
}

export async function trigger(stationId, connectorId) {
  const values = await ask(`Ask ${stationId} for a message`, [
    { name: 'requestedMessage', label: 'Message', type: 'select', options: TRIGGERS },
    { name: 'connectorId', label: 'Connector (optional)', type: 'number', min: 0, value: connectorId },
  ], 'Ask')
  return values && run(stationId, 'TriggerMessage', values)
}

// The buttons for a station (connectorId undefined) or one of its connectors.
export function buttons(stationId, connectorId) {
  const button = (label, fn, title) => h('button', { type: 'button', title, onclick: fn }, label)
  if (connectorId === undefined) {
    return h('span', { class: 'actions' },
      button('Remote start', () => remoteStart(stationId), 'RemoteStartTransaction'),
      button('Reset', () => reset(stationId), 'Reset'),
      button('Trigger', () => trigger(stationId), 'TriggerMessage'))
  }
  return h('span', { class: 'actions' },
    button('Start', () => remoteStart(stationId, connectorId), 'RemoteStartTransaction'),
    button('Unlock', () => unlock(stationId, connectorId), 'UnlockConnector'),
    button('Trigger', () => trigger(stationId, connectorId), 'TriggerMessage'))
}
