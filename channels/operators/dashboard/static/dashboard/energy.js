// `#/energy`: the energy report (GET /api/v1/reports/energy): closed sessions' energy and
// cost by the period they started in (UTC) and station, with the totals.
import { api } from './api.js'
import { h, replace, utcInstant } from './dom.js'
import { sortable } from './sortable.js'

const HEADERS = ['Period', 'Station', 'Sessions', 'Energy (kWh)', 'Cost']

const costs = amounts => Object.entries(amounts ?? {}).map(([code, amount]) => `${amount} ${code}`).join(', ') || '—'
const day = iso => new Date(iso).toISOString().slice(0, 10)

export function energyView(root) {
  let left = false
  const problem = h('p', { class: 'problem', role: 'alert' })
  const tbody = h('tbody')
  const tfoot = h('tfoot')
  const period = h('select', { name: 'period' }, ['day', 'week', 'month'].map(p => h('option', {}, p)))
  const station = h('input', { name: 'station_id', placeholder: 'all stations', size: 14 })
  const since = h('input', { name: 'since', type: 'datetime-local' })
  const until = h('input', { name: 'until', type: 'datetime-local' })
  const form = h('form', { class: 'filter', onsubmit: event => {
    event.preventDefault()
    load()
  } },
  h('label', {}, 'per', period), h('label', {}, 'station', station),
  h('label', {}, 'started from (UTC)', since), h('label', {}, 'before (UTC)', until),
  h('button', { class: 'primary' }, 'Report'))

  replace(root, h('section', {},
    h('h1', {}, 'Energy'),
    h('p', { class: 'summary' }, 'Closed sessions, by the period they started in (UTC; weeks start on Monday) and station.'),
    form, problem,
    sortable(h('table', { class: 'energy' },
      h('thead', {}, h('tr', {}, HEADERS.map(t => h('th', {}, t)))), tbody, tfoot))))

  async function load() {
    replace(problem)
    const query = { period: period.value, station_id: station.value.trim(), since: utcInstant(since), until: utcInstant(until) }
    try {
      const report = await api('/reports/energy', { query })
      if (left) return
      tbody.replaceChildren(...report.rows.map(r => h('tr', { dataset: { station: r.station_id, period: day(r.period_start) } },
        h('td', { dataset: { sort: r.period_start } }, day(r.period_start)),
        h('td', {}, h('a', { href: `#/stations/${encodeURIComponent(r.station_id)}` }, r.station_id)),
        h('td', { class: 'number' }, r.transactions),
        h('td', { class: 'number', dataset: { sort: r.energy_wh } }, (r.energy_wh / 1000).toFixed(3)),
        h('td', { class: 'number' }, costs(r.costs)))))
      if (!report.rows.length) tbody.append(h('tr', {}, h('td', { colspan: HEADERS.length, class: 'none' }, 'No closed session.')))
      const sessions = report.rows.reduce((sum, r) => sum + r.transactions, 0)
      replace(tfoot, h('tr', { class: 'total' },
        h('th', { colspan: 2 }, 'Total'), h('td', { class: 'number' }, sessions),
        h('td', { class: 'number' }, (report.total_wh / 1000).toFixed(3)),
        h('td', { class: 'number' }, costs(report.total_costs))))
    } catch (error) {
      replace(problem, error.message)
    }
  }

  load()
  return () => { left = true }
}
