// A 2.x station's variable monitoring: a monitor set (SetVariableMonitoring) or cleared
// (ClearVariableMonitoring), the severity reported (SetMonitoringLevel), the monitors kept
// active (SetMonitoringBase), and the monitors it has (GetMonitoringReport).
import { h, replace } from './dom.js'
import { operate } from './operate.js'
import { acceptedRequests, reportParts } from './reports.js'
import { info, outcome, table } from './results.js'
import { named, variableFields } from './variable_fields.js'

const TYPES = ['UpperThreshold', 'LowerThreshold', 'Delta', 'Periodic', 'PeriodicClockAligned']
const SEVERITIES = ['Danger', 'HardwareFailure', 'SystemFailure', 'Critical', 'Error', 'Alert',
  'Warning', 'Notice', 'Informational', 'Debug'] // 0 to 9
const BASES = ['All', 'FactoryDefault', 'HardWiredOnly']
const CRITERIA = ['ThresholdMonitoring', 'DeltaMonitoring', 'PeriodicMonitoring']

const severity = (name, value) => h('select', { name },
  SEVERITIES.map((said, level) => h('option', { value: level, selected: level === value }, `${level} ${said}`)))

export function monitoringPanel(stationId) {
  let alive = true
  const problem = h('p', { class: 'problem', role: 'alert' })
  const said = h('p', { class: 'saved', role: 'status' })
  const results = h('div', { class: 'results' })
  const done = text => replace(said, text)

  const fields = variableFields({ attribute: false })
  const type = h('select', { name: 'type' }, TYPES.map(t => h('option', {}, t)))
  const value = h('input', { name: 'value', type: 'number', step: 'any', required: true, class: 'narrow' })
  const level = severity('severity', 8)
  const transaction = h('input', { name: 'transaction', type: 'checkbox' })
  const replaces = h('input', { name: 'id', type: 'number', min: 0, class: 'narrow', placeholder: 'new' })
  const setForm = h('form', { class: 'op monitor', onsubmit: set },
    fields.labels, h('label', {}, 'type', type), h('label', {}, 'value', value),
    h('label', {}, 'severity', level), h('label', { class: 'check' }, transaction, ' during a transaction only'),
    h('label', {}, 'replaces monitor', replaces),
    h('button', { class: 'primary', title: 'SetVariableMonitoring' }, 'Set monitor'))

  const ids = h('input', { name: 'ids', required: true, size: 12, placeholder: 'e.g. 3, 4' })
  const clearForm = h('form', { class: 'op clear-monitors', onsubmit: clear },
    h('label', {}, 'monitor ids', ids), h('button', { title: 'ClearVariableMonitoring' }, 'Clear monitors'))

  const gravest = severity('level', 9)
  const base = h('select', { name: 'base' }, BASES.map(b => h('option', {}, b)))
  const settingsForm = h('form', { class: 'op monitoring-settings', onsubmit: event => event.preventDefault() },
    h('label', {}, 'report events up to', gravest),
    h('button', { type: 'button', title: 'SetMonitoringLevel', onclick: setLevel }, 'Set level'),
    h('label', {}, 'monitors active', base),
    h('button', { type: 'button', title: 'SetMonitoringBase', onclick: setBase }, 'Set base'))

  const criteria = CRITERIA.map(c => h('input', { type: 'checkbox', name: 'criteria', value: c }))
  const components = h('input', { name: 'components', size: 30, placeholder: 'all, or e.g. EVSE@1' })
  const reportForm = h('form', { class: 'op monitoring-report', onsubmit: report },
    h('span', { class: 'criteria' }, criteria.map(c => h('label', { class: 'check' }, c, ` ${c.value}`))),
    h('label', {}, 'components, comma-separated', components),
    h('button', { title: 'GetMonitoringReport' }, 'Report monitors'))

  const element = h('div', {},
    h('h3', {}, 'Set a monitor'), setForm, h('h3', {}, 'Clear monitors'), clearForm,
    h('h3', {}, 'Level and base'), settingsForm, h('h3', {}, 'Monitors the station has'), reportForm,
    problem, said, results)

  async function set(event) {
    event.preventDefault()
    replace(said)
    let variable
    try {
      variable = fields.notation()
    } catch (error) {
      replace(problem, error.message)
      return
    }
    const monitor = { variable, type: type.value, value: Number(value.value),
      severity: Number(level.value), transaction: transaction.checked }
    if (replaces.value !== '') monitor.id = Number(replaces.value)
    const records = await operate(stationId, 'SetVariableMonitoring', 'monitoring/set', { monitors: [monitor] }, problem)
    if (records) replace(results, setResults(records))
  }

  async function clear(event) {
    event.preventDefault()
    replace(said)
    const texts = ids.value.split(/[\s,]+/).filter(Boolean)
    if (!texts.every(t => /^\d{1,10}$/.test(t))) {
      replace(problem, 'monitor ids: whole numbers, 0 or more, separated by commas')
      return
    }
    const records = await operate(stationId, 'ClearVariableMonitoring', 'monitoring/clear', { ids: texts.map(Number) }, problem)
    if (records) replace(results, clearResults(records))
  }

  async function setLevel() {
    replace(said)
    const records = await operate(stationId, 'SetMonitoringLevel', 'monitoring/level', { severity: Number(gravest.value) }, problem)
    if (records) done(`SetMonitoringLevel ${gravest.value}: ${answers(records)}`)
  }

  async function setBase() {
    replace(said)
    const records = await operate(stationId, 'SetMonitoringBase', 'monitoring/base', { base: base.value }, problem)
    if (records) done(`SetMonitoringBase ${base.value}: ${answers(records)}`)
  }

  async function report(event) {
    event.preventDefault()
    replace(said)
    const body = { criteria: criteria.filter(c => c.checked).map(c => c.value),
      components: components.value.split(',').map(c => c.trim()).filter(Boolean) }
    const records = await operate(stationId, 'GetMonitoringReport', 'monitoring/report', body, problem)
    if (!records) return
    const requests = acceptedRequests(records)
    if (!requests.length) {
      done(`No report: the station said ${answers(records)}.`)
      return
    }
    done('Waiting for the report…')
    const parts = []
    let complete = true
    for (const id of requests) {
      const got = await reportParts(stationId, 'NotifyMonitoringReport', id, () => alive)
      if (got.problem) replace(problem, got.problem)
      parts.push(...got.parts)
      complete &&= got.complete
    }
    done(complete ? 'Reported.' : 'The report is not all in yet.')
    replace(results, reportTable(parts))
  }

  return { element, destroy: () => { alive = false } }
}

const answers = records => records.map(r => r.response?.status ?? r.status).join(', ')

function setResults(records) {
  const rows = []
  for (const record of records) {
    const answered = record.response?.setMonitoringResult
    const asked = record.payload?.setMonitoringData ?? []
    const each = Array.isArray(answered) ? answered : asked.map(a => ({ ...a, status: record.status }))
    for (const r of each) {
      rows.push({ dataset: { variable: named(r, false), monitor: r.id ?? '' },
        cells: [r.id ?? '—', h('code', {}, named(r, false)), r.type, severityName(r.severity),
          outcome(r.status), info(r.statusInfo) || (record.error_code ?? '')] })
    }
  }
  return table('results set-monitors', ['Monitor', 'Variable', 'Type', 'Severity', 'Status', 'Info'], rows)
}

function clearResults(records) {
  const rows = []
  for (const record of records) {
    const answered = record.response?.clearMonitoringResult
    const each = Array.isArray(answered) ? answered : (record.payload?.id ?? []).map(id => ({ id, status: record.status }))
    for (const r of each) {
      rows.push({ dataset: { monitor: r.id }, cells: [r.id, outcome(r.status), info(r.statusInfo)] })
    }
  }
  return table('results clear-monitors', ['Monitor', 'Status', 'Info'], rows)
}

function reportTable(parts) {
  const rows = []
  for (const part of parts) {
    for (const monitored of part.monitor ?? []) {
      for (const m of monitored.variableMonitoring ?? []) {
        const name = named(monitored, false)
        rows.push({ dataset: { variable: name, monitor: m.id },
          cells: [m.id, h('code', {}, name), m.type, String(m.value), severityName(m.severity), m.transaction ? 'yes' : 'no'] })
      }
    }
  }
  return table('results monitors', ['Monitor', 'Variable', 'Type', 'Value', 'Severity', 'Transaction only'], rows,
    'No monitors reported.')
}

const severityName = level => level == null ? '—' : `${level} ${SEVERITIES[level] ?? ''}`.trim()
