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
// OCPP 2.x names the commands and their fields otherwise (MessageTriggerEnumType).
const TRIGGERS_2 = [
  'StatusNotification', 'BootNotification', 'Heartbeat', 'MeterValues', 'TransactionEvent',
  'FirmwareStatusNotification', 'LogStatusNotification',
]
const MAX_REMOTE_START_ID = 2 ** 31 - 1

// The OCPP version of each station the views have shown ("1.6", "2.0.1", "2.1"): a
// button sends the command in the version its station speaks.
const versions = new Map()
export function knowVersion(stationId, version) {
  versions.set(stationId, version ?? '1.6')
}
export const speaks2 = stationId => (versions.get(stationId) ?? '1.6') !== '1.6'

// A line in the commands panel; returns (state, text) => shows what became of it.
export function entry(stationId, action) {
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
    if (OPEN.has(record.status)) record = await settle(record.id)
    const said = record.response ? JSON.stringify(record.response) : record.error_code ?? ''
    show(record.status, said)
    return record
  } catch (error) {
    show(error instanceof ApiError ? `refused (${error.status})` : 'failed', error.message)
    return null
  }
}

// The command's record once final; still open after a few of the API's waits (a slow
// station), as it stands then.
export async function settle(commandId) {
  let record = null
  for (let tries = 0; tries < 4 && (record === null || OPEN.has(record.status)); tries++) {
    record = await api(`/commands/${encodeURIComponent(commandId)}`, { query: { wait: WAIT } })
  }
  return record
}

export async function remoteStart(stationId, connectorId = 1) {
  const v2 = speaks2(stationId)
  const values = await ask(`Remote start on ${stationId}`, [
    { name: 'idTag', label: v2 ? 'idToken' : 'idTag', required: true, maxlength: v2 ? 36 : 20 },
    { name: 'connectorId', label: v2 ? 'EVSE' : 'Connector', type: 'number', min: 1, value: connectorId },
  ], 'Start')
  if (!values) return values
  if (!v2) return run(stationId, 'RemoteStartTransaction', values)
  // The station names its transaction itself; remoteStartId finds it in its events.
  const remoteStartId = 1 + Math.floor(Math.random() * MAX_REMOTE_START_ID)
  return run(stationId, 'RequestStartTransaction', {
    idToken: { idToken: values.idTag, type: 'Central' }, evseId: values.connectorId, remoteStartId,
  })
}

// `transaction`: its row from the API (a 2.x station's is stopped by its own id).
export async function remoteStop(stationId, transaction) {
  const yes = await ask(`Stop transaction ${transaction.id} on ${stationId}?`, [], 'Stop')
  if (!yes) return yes
  if (transaction.station_transaction_id != null) {
    return run(stationId, 'RequestStopTransaction', { transactionId: transaction.station_transaction_id })
  }
  return run(stationId, 'RemoteStopTransaction', { transactionId: transaction.id })
}

export async function reset(stationId) {
  const types = speaks2(stationId) ? ['OnIdle', 'Immediate'] : ['Soft', 'Hard']
  const values = await ask(`Reset ${stationId}`, [
    { name: 'type', label: 'Type', type: 'select', options: types, value: types[0] },
  ], 'Reset')
  return values && run(stationId, 'Reset', values)
}

// `connectorId`: of a 2.x station, the EVSE (the views list 2.x connectors by EVSE).
export async function unlock(stationId, connectorId) {
  const yes = await ask(`Unlock connector ${connectorId} of ${stationId}?`, [], 'Unlock')
  if (!yes) return yes
  const payload = speaks2(stationId) ? { evseId: connectorId, connectorId: 1 } : { connectorId }
  return run(stationId, 'UnlockConnector', payload)
}

export async function trigger(stationId, connectorId) {
  const v2 = speaks2(stationId)
  const values = await ask(`Ask ${stationId} for a message`, [
    { name: 'requestedMessage', label: 'Message', type: 'select', options: v2 ? TRIGGERS_2 : TRIGGERS },
    { name: 'connectorId', label: v2 ? 'EVSE (optional)' : 'Connector (optional)', type: 'number', min: 0, value: connectorId },
  ], 'Ask')
  if (!values || !v2) return values && run(stationId, 'TriggerMessage', values)
  const { requestedMessage, connectorId: evseId } = values
  return run(stationId, 'TriggerMessage',
    evseId === undefined ? { requestedMessage } : { requestedMessage, evse: { id: evseId } })
}

// What each state of a password rotation means for the station.
const ROTATION_SAID = {
  waiting: 'no answer yet',
  accepted: 'the old password is admitted until the station logs in with the new one',
  refused: 'the station keeps its password',
  failed: 'the station keeps its password',
  unanswered: 'no word from the station, which may have taken it: both passwords are admitted until its next login settles it',
}

// A new HTTP Basic password for the station: made by the central system, shown to no one
// (the API keeps only its hash, and the command's record masks it).
export async function rotatePassword(stationId) {
  const yes = await ask(`Give ${stationId} a new password?`, [], 'Rotate')
  if (!yes) return yes
  const show = entry(stationId, 'Password rotation')
  try {
    const path = `/stations/${encodeURIComponent(stationId)}/password-rotation`
    const rotation = await api(path, { method: 'POST', query: { wait: WAIT } })
    show(rotation.state, ROTATION_SAID[rotation.state] ?? '')
    return rotation
  } catch (error) {
    show(error instanceof ApiError ? `refused (${error.status})` : 'failed', error.message)
    return null
  }
}

// What the station's boots are answered: accepted, pending (it sends only what it is asked
// for, and may be sent commands) or rejected (it sends nothing but its boot, and is sent
// nothing). Accepting a connected station asks it to boot again now.
const REGISTRATION_ASKED = {
  accepted: 'Accept',
  pending: 'Set pending',
  rejected: 'Reject',
}
export async function setRegistration(stationId, registration) {
  const yes = await ask(`${REGISTRATION_ASKED[registration]} ${stationId}?`, [], REGISTRATION_ASKED[registration])
  if (!yes) return yes
  const show = entry(stationId, `Registration ${registration}`)
  try {
    const path = `/stations/${encodeURIComponent(stationId)}/registration`
    const outcome = await api(path, { method: 'PUT', body: { registration } })
    show(outcome.registration, outcome.note)
    return outcome
  } catch (error) {
    show(error instanceof ApiError ? `refused (${error.status})` : 'failed', error.message)
    return null
  }
}

// A button per registration the station does not have; `done` runs once one was set.
export function registrationButtons(stationId, current, done = () => {}) {
  return h('span', { class: 'actions registration' },
    Object.entries(REGISTRATION_ASKED).filter(([registration]) => registration !== current)
      .map(([registration, label]) => h('button', { type: 'button', dataset: { registration },
        onclick: () => setRegistration(stationId, registration).then(outcome => outcome && done()) }, label)))
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
