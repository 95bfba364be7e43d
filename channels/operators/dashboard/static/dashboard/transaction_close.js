// An operator's close of a transaction whose stop never came (POST /transactions/{id}/close,
// as `ocpp-cable transactions close`). Nothing is sent to the station; its own stop, if it
// comes after all, replaces what is set here.
import { api, ApiError } from './api.js'
import { entry } from './commands.js'
import { ask } from './dialog.js'
import { h, kwh } from './dom.js'

// The API's schemas.StopReason: OCPP 1.6 Reason.
export const REASONS = [
  'EmergencyStop', 'EVDisconnected', 'HardReset', 'Local', 'Other', 'PowerLoss', 'Reboot',
  'Remote', 'SoftReset', 'UnlockCommand', 'DeAuthorized',
]

// What the API takes when the meter stop is left empty, as the page knows it.
function meterStopHint(transaction, lastWh) {
  if (lastWh !== null && lastWh !== undefined) return `empty: ${Math.round(lastWh)}, the meter as last read`
  const start = transaction.meter_start
  return start === null || start === undefined
    ? 'empty: the last reading stored'
    : `empty: the last reading stored, else the start (${start})`
}

// The outcome in `where` (a line of the view): green once closed, red when refused.
function tell(where, text, ok) {
  if (!where) return
  where.classList.toggle('saved', ok)
  where.classList.toggle('problem', !ok)
  where.textContent = text
}

// Asks for the meter stop and reason, then closes `transaction` (its row from the API).
// `lastWh`: the last energy register reading the page has of it (Wh), shown as what an
// empty meter stop means. Resolves to the transaction as closed, or null: cancelled, or
// refused (the reason in `where` and the commands panel; `refused(error)` runs).
export async function closeTransaction(transaction, { where = null, lastWh = null, refused = () => {} } = {}) {
  const station = transaction.station_id
  const values = await ask(`Close transaction ${transaction.id} of ${station}?`, [
    { name: 'meter_stop', label: 'Meter stop (Wh)', type: 'number', min: transaction.meter_start ?? 0,
      placeholder: meterStopHint(transaction, lastWh) },
    { name: 'reason', label: 'Reason', type: 'select', options: REASONS, value: 'Other' },
  ], 'Close', 'Its stop never came: this closes it here, and sends nothing to the station ' +
    '(Remote stop stops a session that still charges). If the station\'s own stop comes ' +
    'after all, its values replace these.')
  if (!values) return null
  const show = entry(station, 'Close transaction')
  tell(where, '', true)
  try {
    const closed = await api(`/transactions/${transaction.id}/close`, { method: 'POST', body: values })
    const said = `transaction ${closed.id} at ${closed.meter_stop ?? '?'} Wh (${kwh(closed.energy_wh)}), ${closed.stop_reason}`
    show('closed', said)
    tell(where, `Closed ${said}.`, true)
    return closed
  } catch (error) {
    show(error instanceof ApiError ? `refused (${error.status})` : 'failed', error.message)
    tell(where, error.message, false)
    refused(error)
    return null
  }
}

// A **Close** button for an open transaction; `done(closed)` runs once it is closed.
// `options`: those of closeTransaction, `lastWh` a function (read at the click).
export function closeButton(transaction, { where = null, lastWh = () => null, done = () => {}, refused } = {}) {
  return h('button', { type: 'button', class: 'close-transaction', title: 'POST /transactions/{id}/close',
    onclick: async () => {
      const closed = await closeTransaction(transaction, { where, lastWh: lastWh(), refused })
      if (closed) done(closed)
    } }, 'Close')
}
