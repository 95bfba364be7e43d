// `#/transactions`: every station's transactions, newest first, filtered and paged by the
// API (GET /api/v1/transactions); the CSV holds all that the filters select.
import { api, list } from './api.js'
import { csv, saveFile } from './csv.js'
import { h, kwh, money, replace, time, utcInstant } from './dom.js'
import { sortable } from './sortable.js'

const PAGE = 50
const HEADERS = ['Id', 'Station', 'Connector', 'idTag', 'Started', 'Stopped', 'Energy', 'Cost', 'Stop reason']

// The export's columns: the API's values as they are (times in UTC, energy in Wh).
const COLUMNS = [
  ['id', t => t.id],
  ['station_id', t => t.station_id, { text: true }],
  ['connector_id', t => t.connector_id],
  ['evse_id', t => t.evse_id],
  ['id_tag', t => t.id_tag, { text: true }],
  ['start_time', t => t.start_time],
  ['stop_time', t => t.stop_time],
  ['meter_start', t => t.meter_start],
  ['meter_stop', t => t.meter_stop],
  ['energy_wh', t => t.energy_wh],
  ['cost', t => t.cost],
  ['currency', t => t.currency],
  ['stop_reason', t => t.stop_reason, { text: true }],
]

export function transactionsView(root) {
  let filter = {}
  let offset = 0
  let left = false
  const problem = h('p', { class: 'problem', role: 'alert' })
  const summary = h('p', { class: 'summary', role: 'status' })
  const tbody = h('tbody')
  const station = h('input', { name: 'station_id', placeholder: 'station id', size: 14 })
  const idTag = h('input', { name: 'id_tag', placeholder: 'idTag', size: 14 })
  const state = h('select', { name: 'state' },
    h('option', { value: '' }, 'open and closed'), h('option', { value: 'open' }, 'open'),
    h('option', { value: 'closed' }, 'closed'))
  const since = h('input', { name: 'since', type: 'datetime-local' })
  const until = h('input', { name: 'until', type: 'datetime-local' })
  const previous = h('button', { type: 'button', disabled: true, onclick: () => load(offset - PAGE) }, 'Previous')
  const next = h('button', { type: 'button', disabled: true, onclick: () => load(offset + PAGE) }, 'Next')
  const exportButton = h('button', { type: 'button', class: 'export', onclick: exportCsv }, 'Export CSV')
  const form = h('form', { class: 'filter', onsubmit: event => {
    event.preventDefault()
    filter = {
      station_id: station.value.trim(), id_tag: idTag.value.trim(), state: state.value,
      since: utcInstant(since), until: utcInstant(until),
    }
    load(0)
  } },
  h('label', {}, 'station', station), h('label', {}, 'idTag', idTag), h('label', {}, 'state', state),
  h('label', {}, 'started from (UTC)', since), h('label', {}, 'before (UTC)', until),
  h('button', { class: 'primary' }, 'Filter'), exportButton)

  replace(root, h('section', {},
    h('h1', {}, 'Transactions'), form, problem, summary,
    sortable(h('table', { class: 'transactions' },
      h('thead', {}, h('tr', {}, HEADERS.map(t => h('th', {}, t)))), tbody)),
    h('p', { class: 'actions' }, previous, next)))

  function row(t) {
    const href = `#/stations/${encodeURIComponent(t.station_id)}`
    return h('tr', { dataset: { transaction: t.id } },
      h('td', { class: 'number' }, t.id),
      h('td', {}, h('a', { href }, t.station_id)),
      h('td', { class: 'number' }, t.evse_id ?? t.connector_id ?? '—'),
      h('td', { class: 'id' }, t.id_tag ?? '—'),
      h('td', { dataset: { sort: t.start_time } }, time(t.start_time)),
      h('td', { dataset: { sort: t.stop_time ?? '' } }, t.stop_time ? time(t.stop_time) : 'open'),
      h('td', { class: 'number', dataset: { sort: t.energy_wh ?? '' } }, kwh(t.energy_wh)),
      h('td', { class: 'number', dataset: { sort: t.cost ?? '' } }, money(t.cost, t.currency)),
      h('td', {}, t.stop_reason ?? '—'))
  }

  async function load(at) {
    replace(problem)
    try {
      const page = await api('/transactions', { query: { ...filter, limit: PAGE, offset: at } })
      if (left) return
      offset = at
      tbody.replaceChildren(...page.items.map(row))
      if (!page.items.length) tbody.append(h('tr', {}, h('td', { colspan: HEADERS.length, class: 'none' }, 'No transaction.')))
      replace(summary, page.total ? `${at + 1}–${at + page.items.length} of ${page.total}` : '')
      previous.disabled = at === 0
      next.disabled = at + page.items.length >= page.total
    } catch (error) {
      replace(problem, error.message)
    }
  }

  async function exportCsv() {
    replace(problem)
    exportButton.disabled = true
    try {
      const all = await list('/transactions', filter, { limit: 500, max: Infinity })
      // A transaction that started meanwhile shifts the pages: each is written once.
      const once = [...new Map(all.map(t => [t.id, t])).values()]
      saveFile('transactions.csv', csv(COLUMNS, once))
    } catch (error) {
      replace(problem, error.message)
    } finally {
      exportButton.disabled = false
    }
  }

  load(0)
  return () => { left = true }
}
