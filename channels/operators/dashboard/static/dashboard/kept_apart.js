// The readings that named a transaction but are not counted into it (GET
// /transactions/{id}/meter-values?kept_apart=true): another station sent them, or they came
// before the transaction existed. Read each time the section is opened.
import { list } from './api.js'
import { h, replace, time } from './dom.js'
import { table } from './results.js'

const HEADS = ['Station', 'Time', 'Measurand', 'Phase', 'Value', 'Unit', 'Connector']

function row(reading) {
  return {
    dataset: { station: reading.station_id },
    cells: [reading.station_id, time(reading.timestamp), reading.measurand, reading.phase ?? '',
      reading.value, reading.unit ?? '', reading.connector_id],
  }
}

export function keptApartReadings(transactionId) {
  const problem = h('p', { class: 'problem', role: 'alert' })
  const shown = h('div', { class: 'scroll' })
  let asked = 0 // the newest read: an older answer coming late is dropped

  async function load() {
    const mine = ++asked
    replace(problem)
    try {
      const readings = await list(`/transactions/${transactionId}/meter-values`, { kept_apart: true },
        { limit: 500, max: 2000 })
      if (mine !== asked) return
      replace(shown, table('kept-apart', HEADS, readings.map(row), 'None.'))
    } catch (error) {
      if (mine === asked) replace(problem, error.message)
    }
  }

  return h('details', { class: 'kept-apart', dataset: { panel: 'kept-apart' },
    ontoggle: event => { if (event.currentTarget.open) load() } },
  h('summary', {}, 'Readings kept apart'),
  h('p', { class: 'summary' }, `Readings that named transaction ${transactionId} and are not counted into it: ` +
    'another station sent them, or they came before it existed.'),
  problem, shown)
}
