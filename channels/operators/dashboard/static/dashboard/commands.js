// The common commands, sent through the API, and their results as they come back.
import { api, ApiError } from './api.js'
import { ask } from './dialog.js'
import { h, replace } from './dom.js'

export const WAIT = 30 // seconds the API holds a request for the station's answer
export const OPEN = new Set(['queued', 'sent'])
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

// The OCPP version of each station the views have shown ("1.6", "2.0.1", "2.1"): a
// button sends the command in the version its station speaks.
const versions = new Map()
export function knowVersion(stationId, version) {
  versions.set(stationId, version ?? '1.6')
}
export const speaks2 = stationId => (versions.get(stationId) ?? '1.6') !== '1.6'

// Who follows the commands the page sends (a station's recorded commands): `fn(stationId,
// state)` runs each time a line of the panel shows what became of one. Returns the way out.
const watchers = new Set()
export function watchCommands(fn) {
  watchers.add(fn)
  return () => watchers.delete(fn)
}

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
    for (const fn of watchers) fn(stationId, state)
  }
}

// Sends `action` to the station as written (POST /stations/{id}/commands, checked against
// its schema in the station's version); the result shows in the commands panel, and a
// refusal's reason in `problem` too, if given. Returns the record as answered, or null.
export async function run(stationId, action, payload, problem) {
  return follow(stationId, action, 'commands', { action, payload }, problem)
}

// One of the commands the central system composes in the station's version (POST
// /stations/{id}/<route>: reset, availability, clear-cache, trigger, unlock).
function composed(stationId, label, route, body = {}) {
  return follow(stationId, label, route, body)
}

async function follow(stationId, label, route, body, problem) {
  const show = entry(stationId, label)
  if (problem) replace(problem)
  try {
    const path = `/stations/${encodeURIComponent(stationId)}/${route}`
    let record = await api(path, { method: 'POST', query: { wait: WAIT }, body })
    show(record.status)
    if (OPEN.has(record.status)) record = await settle(record.id)
    show(record.status, answerOf(record))
    return record
  } catch (error) {
    show(error instanceof ApiError ? `refused (${error.status})` : 'failed', error.message)
    if (problem) replace(problem, error.message)
    return null
  }
}

// What the station answered, as one line: its response, or the error's code.
export const answerOf = record => record.response ? JSON.stringify(record.response) : record.error_code ?? ''

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
  // The central system composes it: 2.x RequestStartTransaction with a remoteStartId of
  // its own, 1.6 RemoteStartTransaction.
  const body = { id_tag: values.idTag, [v2 ? 'evse' : 'connector']: values.connectorId }
  return composed(stationId, v2 ? 'RequestStartTransaction' : 'RemoteStartTransaction', 'remote-start', body)
}

// `transaction`: its row from the API; the central system stops it by the id its station
// knows (a 2.x station's own).
export async function remoteStop(stationId, transaction) {
  const yes = await ask(`Stop transaction ${transaction.id} on ${stationId}?`, [], 'Stop')
  if (!yes) return yes
  const label = speaks2(stationId) ? 'RequestStopTransaction' : 'RemoteStopTransaction'
  return composed(stationId, label, 'remote-stop', { transaction: String(transaction.id) })
}

// Once idle or now: the central system says it in the station's version (2.x OnIdle or
// Immediate, 1.6 Soft or Hard).
export async function reset(stationId) {
  const values = await ask(`Reset ${stationId}`, [
    { name: 'when', label: 'When', type: 'select', options: ['once idle', 'now'], value: 'once idle' },
  ], 'Reset')
  return values && composed(stationId, 'Reset', 'reset', { immediate: values.when === 'now' })
}

// `connectorId`: of a 2.x station, the EVSE (the views list 2.x connectors by EVSE).
export async function unlock(stationId, connectorId) {
  const yes = await ask(`Unlock connector ${connectorId} of ${stationId}?`, [], 'Unlock')
  if (!yes) return yes
  const body = speaks2(stationId) ? { evse: connectorId, connector: 1 } : { connector: connectorId }
  return composed(stationId, 'UnlockConnector', 'unlock', body)
}

export async function trigger(stationId, connectorId) {
  const v2 = speaks2(stationId)
  const values = await ask(`Ask ${stationId} for a message`, [
    { name: 'message', label: 'Message', type: 'select', options: v2 ? TRIGGERS_2 : TRIGGERS },
    { name: 'connectorId', label: v2 ? 'EVSE (optional)' : 'Connector (optional)', type: 'number', min: 1, value: connectorId },
  ], 'Ask')
  if (!values) return values
  const { message, connectorId: where } = values
  const body = where === undefined ? { message } : v2 ? { message, evse: where } : { message, connector: where }
  return composed(stationId, 'TriggerMessage', 'trigger', body)
}

// In or out of service: the station, or one connector (of a 2.x station: an EVSE).
export async function availability(stationId, connectorId) {
  const v2 = speaks2(stationId)
  const where = connectorId === undefined ? stationId : `${v2 ? 'EVSE' : 'connector'} ${connectorId} of ${stationId}`
  const values = await ask(`Availability of ${where}`, [
    { name: 'state', label: 'State', type: 'select', options: ['Inoperative', 'Operative'], value: 'Inoperative' },
  ], 'Change')
  if (!values) return values
  const body = { operative: values.state === 'Operative' }
  if (connectorId !== undefined) body[v2 ? 'evse' : 'connector'] = connectorId
  return composed(stationId, 'ChangeAvailability', 'availability', body)
}

export async function clearCache(stationId) {
  const yes = await ask(`Clear the authorization cache of ${stationId}?`, [], 'Clear')
  return yes && composed(stationId, 'ClearCache', 'clear-cache')
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
      button('Trigger', () => trigger(stationId), 'TriggerMessage'),
      button('Availability', () => availability(stationId), 'ChangeAvailability'),
      button('Clear cache', () => clearCache(stationId), 'ClearCache'))
  }
  return h('span', { class: 'actions' },
    button('Start', () => remoteStart(stationId, connectorId), 'RemoteStartTransaction'),
    button('Unlock', () => unlock(stationId, connectorId), 'UnlockConnector'),
    button('Trigger', () => trigger(stationId, connectorId), 'TriggerMessage'),
    button('Availability', () => availability(stationId, connectorId), 'ChangeAvailability'))
}
