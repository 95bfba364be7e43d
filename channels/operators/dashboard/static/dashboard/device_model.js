// A 2.x station's device model: variables read (GetVariables) and written (SetVariables)
// with each one's result, reports asked for (GetBaseReport, GetReport), and the variables
// the station reported, as kept (GET /stations/{id}/variables).
import { api } from './api.js'
import { h, replace, time } from './dom.js'
import { operate } from './operate.js'
import { acceptedRequests, reportParts } from './reports.js'
import { info, outcome, table } from './results.js'
import { named, rowNamed, variableFields } from './variable_fields.js'

const REPORT_BASES = ['ConfigurationInventory', 'FullInventory', 'SummaryInventory']
const CRITERIA = ['Active', 'Available', 'Enabled', 'Problem']
const SHOWN = 1000 // stored variables at a time

export function deviceModelPanel(stationId) {
  let alive = true
  const problem = h('p', { class: 'problem', role: 'alert' })
  const fields = variableFields()
  const value = h('input', { name: 'value', maxlength: 2500, size: 14 })
  const listed = [] // {variable, value}: what Get and Set send, when any
  const list = h('ul', { class: 'listed' })
  const results = h('div', { class: 'results' })
  const form = h('form', { class: 'op variables', onsubmit: event => event.preventDefault() },
    fields.labels, h('label', {}, 'value (to set)', value),
    h('span', { class: 'actions' },
      h('button', { type: 'button', onclick: add, title: 'Get and Set send the listed variables with the one in the form' }, 'Add to list'),
      h('button', { type: 'button', class: 'primary', onclick: () => send('get'), title: 'GetVariables' }, 'Get'),
      h('button', { type: 'button', onclick: () => send('set'), title: 'SetVariables' }, 'Set')))

  const reportProblem = h('p', { class: 'problem', role: 'alert' })
  const reportSaid = h('p', { class: 'saved', role: 'status' })
  const base = h('select', { name: 'base' }, REPORT_BASES.map(b => h('option', {}, b)))
  const criteria = CRITERIA.map(c => h('input', { type: 'checkbox', name: 'criteria', value: c }))
  const components = h('input', { name: 'components', size: 36, placeholder: 'e.g. EVSE@1, OCPPCommCtrlr.HeartbeatInterval' })
  const reportForm = h('form', { class: 'op report', onsubmit: event => event.preventDefault() },
    h('label', {}, 'base', base),
    h('button', { type: 'button', onclick: () => report(true), title: 'GetBaseReport' }, 'Base report'),
    h('span', { class: 'criteria' }, criteria.map(c => h('label', { class: 'check' }, c, ` ${c.value}`))),
    h('label', {}, 'components, comma-separated', components),
    h('button', { type: 'button', onclick: () => report(false), title: 'GetReport' }, 'Report'))

  const filter = h('input', { name: 'component', size: 16, placeholder: 'all components' })
  const summary = h('p', { class: 'summary' })
  const stored = h('div')
  const filterForm = h('form', { class: 'op filter', onsubmit: event => { event.preventDefault(); load() } },
    h('label', {}, 'component', filter), h('button', {}, 'Show'))

  const element = h('div', {},
    h('p', { class: 'summary' }, 'Read or write variables by name; the EVSE, connector and instances only where the station has them.'),
    form, problem, list, results,
    h('h3', {}, 'Reports'), reportForm, reportProblem, reportSaid,
    h('h3', {}, 'Variables as reported'), filterForm, summary, stored)

  function current() {
    try {
      if (!form.reportValidity()) return null
      return { variable: fields.notation(), value: value.value }
    } catch (error) {
      replace(problem, error.message)
      return null
    }
  }

  function add() {
    replace(problem)
    const one = current()
    if (!one) return
    listed.push(one)
    fields.clear()
    value.value = ''
    showList()
  }

  function showList() {
    replace(list, listed.map((one, at) => h('li', { dataset: { variable: one.variable } },
      h('code', {}, one.variable), one.value ? [' = ', h('code', {}, one.value)] : '', ' ',
      h('button', { type: 'button', title: 'Off the list', onclick: () => { listed.splice(at, 1); showList() } }, '×'))))
  }

  async function send(kind) {
    replace(problem)
    // The listed variables, and the form's when it names one (it must, with none listed).
    const entries = [...listed]
    if (fields.named() || !entries.length) {
      const one = current()
      if (!one) return
      entries.push(one)
    }
    const records = kind === 'get'
      ? await operate(stationId, 'GetVariables', 'variables/get', { variables: entries.map(e => e.variable) }, problem)
      : await operate(stationId, 'SetVariables', 'variables/set', { values: entries }, problem)
    if (!records) return
    listed.length = 0
    showList()
    replace(results, resultsTable(kind, records))
    // What was read, or written and accepted, is kept: the stored table shows it.
    await load()
  }

  async function report(isBase) {
    replace(reportSaid)
    replace(reportProblem)
    const body = isBase
      ? { base: base.value }
      : { criteria: criteria.filter(c => c.checked).map(c => c.value),
          components: components.value.split(',').map(c => c.trim()).filter(Boolean) }
    const records = await operate(stationId, isBase ? 'GetBaseReport' : 'GetReport', 'report', body, reportProblem)
    if (!records) return
    const ids = acceptedRequests(records)
    if (!ids.length) {
      replace(reportSaid, `No report: the station said ${records.map(r => r.response?.status ?? r.status).join(', ')}.`)
      return
    }
    replace(reportSaid, 'Waiting for the report…')
    let count = 0
    let complete = true
    for (const id of ids) {
      const got = await reportParts(stationId, 'NotifyReport', id, () => alive)
      if (got.problem) replace(reportProblem, got.problem)
      count += got.parts.reduce((n, part) => n + (part.reportData?.length ?? 0), 0)
      complete &&= got.complete
    }
    replace(reportSaid, `Reported: ${count} variable${count === 1 ? '' : 's'}` +
      (complete ? '.' : ', the rest not come yet (reload the table later).'))
    await load()
  }

  async function load() {
    try {
      const page = await api(`/stations/${encodeURIComponent(stationId)}/variables`, {
        query: { component: filter.value.trim(), limit: SHOWN },
      })
      replace(summary, `${page.total} variable attribute${page.total === 1 ? '' : 's'} kept` +
        (page.total > page.items.length ? `, the first ${page.items.length} shown` : ''))
      replace(stored, storedTable(page.items, row => fields.fill(row)))
    } catch (error) {
      replace(reportProblem, error.message)
    }
  }

  load()
  return { element, destroy: () => { alive = false } }
}

// Each variable's result, as the station answered it (a command that got no answer: its
// variables with the command's state).
function resultsTable(kind, records) {
  const [askedKey, answeredKey] = kind === 'get'
    ? ['getVariableData', 'getVariableResult'] : ['setVariableData', 'setVariableResult']
  const rows = []
  for (const record of records) {
    const asked = record.payload?.[askedKey] ?? []
    const answered = record.response?.[answeredKey]
    if (!Array.isArray(answered)) {
      for (const entry of asked) {
        rows.push(row(named(entry), outcome(record.status), entry.attributeValue ?? '', record.error_code ?? ''))
      }
      continue
    }
    for (const result of answered) {
      const name = named(result)
      const sent = asked.find(entry => named(entry) === name)
      const shown = kind === 'get' ? result.attributeValue : sent?.attributeValue
      rows.push(row(name, outcome(result.attributeStatus), shown ?? '', info(result.attributeStatusInfo)))
    }
  }
  return table(`results ${kind}-variables`, ['Variable', 'Status', kind === 'get' ? 'Value' : 'Value written', 'Info'], rows)
}

function row(name, status, value, more) {
  return { cells: [h('code', {}, name), status, h('code', {}, value), more], dataset: { variable: name } }
}

function storedTable(items, use) {
  const rows = items.map(v => ({
    dataset: { variable: rowNamed(v), attribute: v.attribute_type },
    cells: [
      h('code', {}, rowNamed(v)), v.attribute_type, h('code', {}, v.value ?? '—'), v.mutability ?? '',
      time(v.reported_at),
      h('button', { type: 'button', title: 'Into the form above', onclick: () => use(v) }, 'Use'),
    ],
  }))
  return table('variables', ['Variable', 'Attribute', 'Value', 'Mutability', 'Reported', ''], rows,
    'None yet: ask for a base report.')
}
