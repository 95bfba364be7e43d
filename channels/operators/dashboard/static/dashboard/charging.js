// Smart charging, for 1.6 and 2.x alike: a profile set (SetChargingProfile, composed by the
// central system from a purpose and a limit or periods), profiles cleared
// (ClearChargingProfile), a 2.x station's profiles reported (GetChargingProfiles, shown as
// its ReportChargingProfiles gave them), a composite schedule asked for
// (GetCompositeSchedule); and what the station holds (GET .../charging-profiles) and last
// answered (GET .../composite-schedules).
import { api } from './api.js'
import { h, replace, time } from './dom.js'
import { operate } from './operate.js'
import { acceptedRequests, reportParts } from './reports.js'
import { outcome, table } from './results.js'

const PURPOSES = [['max', 'max (station maximum)'], ['tx-default', 'tx-default'], ['tx', 'tx (a transaction)']]
const KINDS = ['Absolute', 'Recurring', 'Relative']
const SOURCES = ['EMS', 'Other', 'SO', 'CSO']

const options = (values, none) => [none && h('option', { value: '' }, none),
  ...values.map(v => Array.isArray(v) ? h('option', { value: v[0] }, v[1]) : h('option', {}, v))]
const number = input => input.value === '' ? undefined : Number(input.value)
const text = input => input.value.trim() || undefined
const answers = records => records.map(r => r.response?.status ?? r.status).join(', ')

// `start:limit[:phases]`, comma-separated, as the CLI's --periods: `0:32, 600:16:1`.
export function parsePeriods(value) {
  return value.split(',').map(part => part.trim()).filter(Boolean).map(part => {
    const fields = part.split(':')
    const ok = (fields.length === 2 || fields.length === 3) && /^\d+$/.test(fields[0]) &&
      /^\d+(\.\d+)?$/.test(fields[1]) && (fields.length === 2 || /^[1-3]$/.test(fields[2]))
    if (!ok) throw new Error(`period '${part}': start_seconds:limit[:phases], e.g. 0:32 or 600:16:1`)
    const period = { start: Number(fields[0]), limit: Number(fields[1]) }
    if (fields.length === 3) period.phases = Number(fields[2])
    return period
  })
}

// A chargingSchedule's periods as one line: `0s 32A, 600s 16A/1ph`.
export function periodsText(schedule) {
  if (!schedule || typeof schedule !== 'object') return '—'
  const unit = schedule.chargingRateUnit ?? ''
  const parts = (schedule.chargingSchedulePeriod ?? []).map(p =>
    `${p.startPeriod}s ${typeof p.limit === 'number' ? p.limit : '?'}${unit}${p.numberPhases ? `/${p.numberPhases}ph` : ''}`)
  return parts.join(', ') || '—'
}

// A profile's periods: 1.6's one chargingSchedule, 2.x's list of them.
const profilePeriods = profile => {
  const schedules = profile?.chargingSchedule
  return Array.isArray(schedules) ? schedules.map(periodsText).join(' | ') || '—' : periodsText(schedules)
}

export function chargingPanel(stationId, version) {
  let alive = true
  const v2 = version !== null && version !== '1.6'
  const place = v2 ? 'EVSE' : 'connector'
  const key = v2 ? 'evse' : 'connector'
  const problem = h('p', { class: 'problem', role: 'alert' })
  const said = h('p', { class: 'saved', role: 'status' })
  const results = h('div', { class: 'results' })
  const done = line => replace(said, line)
  const where = (name = key) => h('input', { name, type: 'number', min: 0, class: 'narrow', placeholder: 'station' })

  const purpose = h('select', { name: 'purpose' }, options(PURPOSES))
  const setPlace = where()
  const limit = h('input', { name: 'limit', type: 'number', min: 0, step: 'any', class: 'narrow' })
  const periods = h('input', { name: 'periods', size: 18, placeholder: 'or e.g. 0:32, 600:16:1' })
  const unit = h('select', { name: 'unit' }, options(['A', 'W']))
  const phases = h('input', { name: 'phases', type: 'number', min: 1, max: 3, class: 'narrow' })
  const stack = h('input', { name: 'stack_level', type: 'number', min: 0, class: 'narrow', placeholder: '0' })
  const kind = h('select', { name: 'kind' }, options(KINDS))
  const recurrency = h('select', { name: 'recurrency' }, options(['Daily', 'Weekly'], '—'))
  const duration = h('input', { name: 'duration', type: 'number', min: 1, class: 'narrow', placeholder: 'none' })
  const profileId = h('input', { name: 'id', type: 'number', min: 1, class: 'narrow', placeholder: 'next' })
  const transaction = h('input', { name: 'transaction', maxlength: 36, size: 8, placeholder: 'open one' })
  const setForm = h('form', { class: 'op charging-profile', onsubmit: set },
    h('label', {}, 'purpose', purpose), h('label', {}, place, setPlace),
    h('label', {}, 'limit', limit), h('label', {}, 'periods (start s:limit[:phases])', periods),
    h('label', {}, 'unit', unit), h('label', {}, 'phases', phases), h('label', {}, 'stack level', stack),
    h('label', {}, 'kind', kind), h('label', {}, 'recurrency', recurrency),
    h('label', {}, 'duration (s)', duration), h('label', {}, 'profile id', profileId),
    h('label', {}, 'transaction (tx)', transaction),
    h('button', { class: 'primary', title: 'SetChargingProfile' }, 'Set profile'))

  const clearId = h('input', { name: 'id', type: 'number', min: 1, class: 'narrow', placeholder: 'any' })
  const clearPlace = where()
  const clearPurpose = h('select', { name: 'purpose' }, options(PURPOSES, 'any'))
  const clearStack = h('input', { name: 'stack_level', type: 'number', min: 0, class: 'narrow', placeholder: 'any' })
  const clearForm = h('form', { class: 'op clear-profiles', onsubmit: clear },
    h('label', {}, 'profile id (alone)', clearId), h('label', {}, place, clearPlace),
    h('label', {}, 'purpose', clearPurpose), h('label', {}, 'stack level', clearStack),
    h('button', { title: 'ClearChargingProfile' }, 'Clear profiles'))

  const reportEvse = where('evse')
  const reportPurpose = h('select', { name: 'purpose' }, options([...PURPOSES, ['external', 'external']], 'any'))
  const reportStack = h('input', { name: 'stack_level', type: 'number', min: 0, class: 'narrow', placeholder: 'any' })
  const sources = SOURCES.map(s => h('input', { type: 'checkbox', name: 'sources', value: s }))
  const reportIds = h('input', { name: 'ids', size: 8, placeholder: 'any' })
  const reportForm = h('form', { class: 'op report-profiles', onsubmit: report },
    h('label', {}, 'EVSE', reportEvse), h('label', {}, 'purpose', reportPurpose),
    h('label', {}, 'stack level', reportStack),
    h('span', { class: 'criteria' }, sources.map(c => h('label', { class: 'check' }, c, ` ${c.value}`))),
    h('label', {}, 'profile ids', reportIds),
    h('button', { title: 'GetChargingProfiles' }, 'Report profiles'))

  const compositePlace = where()
  const compositeDuration = h('input', { name: 'duration', type: 'number', min: 1, value: 3600, required: true, class: 'narrow' })
  const compositeUnit = h('select', { name: 'unit' }, options(['A', 'W'], 'as the station says'))
  const compositeForm = h('form', { class: 'op composite-schedule', onsubmit: composite },
    h('label', {}, place, compositePlace), h('label', {}, 'duration (s)', compositeDuration),
    h('label', {}, 'unit', compositeUnit),
    h('button', { title: 'GetCompositeSchedule' }, 'Composite schedule'))

  const all = h('input', { name: 'all', type: 'checkbox', onchange: () => loadProfiles() })
  const profiles = h('div')
  const schedules = h('div')

  const element = h('div', {},
    h('h3', {}, 'Set a profile'),
    h('p', { class: 'summary' }, 'A limit from the start, or periods; the central system picks the profile id and, for tx, the transaction open there.'),
    setForm, h('h3', {}, 'Clear profiles'), clearForm,
    v2 ? [h('h3', {}, 'Profiles the station reports'), reportForm] : null,
    h('h3', {}, 'Composite schedule'), compositeForm, problem, said, results,
    h('h3', {}, 'Profiles the station holds'),
    h('p', {}, h('label', { class: 'check' }, all, ' with those replaced, cleared, ended or expired')), profiles,
    h('h3', {}, 'Last composite schedules'), schedules)

  async function set(event) {
    event.preventDefault()
    replace(said)
    const body = { purpose: purpose.value, [key]: number(setPlace), unit: unit.value, phases: number(phases),
      stack_level: number(stack), kind: kind.value, recurrency: recurrency.value || undefined,
      duration: number(duration), id: number(profileId), transaction: text(transaction) }
    if (text(periods)) {
      try {
        body.periods = parsePeriods(periods.value)
      } catch (error) {
        replace(problem, error.message)
        return
      }
    }
    if (limit.value !== '') body.limit = Number(limit.value)
    const records = await operate(stationId, 'SetChargingProfile', 'charging-profiles', body, problem)
    if (!records) return
    const [record] = records
    const sent = record.payload?.csChargingProfiles ?? record.payload?.chargingProfile
    done(`Profile ${sent?.id ?? sent?.chargingProfileId ?? ''}: the station said ${answers(records)}.`)
    await loadProfiles()
  }

  async function clear(event) {
    event.preventDefault()
    replace(said)
    const body = clearId.value !== '' ? { id: number(clearId) }
      : { [key]: number(clearPlace), purpose: clearPurpose.value || undefined, stack_level: number(clearStack) }
    const records = await operate(stationId, 'ClearChargingProfile', 'charging-profiles/clear', body, problem)
    if (!records) return
    done(`ClearChargingProfile: the station said ${answers(records)}.`)
    await loadProfiles()
  }

  async function report(event) {
    event.preventDefault()
    replace(said)
    const texts = reportIds.value.split(/[\s,]+/).filter(Boolean)
    if (!texts.every(t => /^\d{1,10}$/.test(t))) {
      replace(problem, 'profile ids: whole numbers, 1 or more, separated by commas')
      return
    }
    const body = { evse: number(reportEvse), purpose: reportPurpose.value || undefined, stack_level: number(reportStack),
      sources: sources.filter(c => c.checked).map(c => c.value), ids: texts.map(Number) }
    const records = await operate(stationId, 'GetChargingProfiles', 'charging-profiles/report', body, problem)
    if (!records) return
    const [request] = acceptedRequests(records)
    if (request === undefined) {
      done(answers(records) === 'NoProfiles' ? 'The station holds no such profile.' : `No report: the station said ${answers(records)}.`)
      replace(results)
      return
    }
    done('Waiting for the report…')
    const got = await reportParts(stationId, 'ReportChargingProfiles', request, () => alive)
    if (got.problem) replace(problem, got.problem)
    done(got.complete ? 'Reported.' : 'The report is not all in yet.')
    replace(results, reportTable(got.parts))
    await loadProfiles()
  }

  async function composite(event) {
    event.preventDefault()
    replace(said)
    const body = { [key]: number(compositePlace), duration: Number(compositeDuration.value), unit: compositeUnit.value || undefined }
    const records = await operate(stationId, 'GetCompositeSchedule', 'composite-schedule', body, problem)
    if (!records) return
    const [record] = records
    const schedule = record.response?.schedule ?? record.response?.chargingSchedule
    done(`Composite schedule: the station said ${answers(records)}${schedule ? `: ${periodsText(schedule)}` : ''}.`)
    await loadSchedules()
  }

  async function loadProfiles() {
    try {
      const path = `/stations/${encodeURIComponent(stationId)}/charging-profiles`
      const page = await api(path, { query: { all: all.checked || undefined, limit: 200 } })
      if (alive) replace(profiles, profilesTable(page.items, place))
    } catch (error) {
      replace(problem, error.message)
    }
  }

  async function loadSchedules() {
    try {
      const items = await api(`/stations/${encodeURIComponent(stationId)}/composite-schedules`)
      if (alive) replace(schedules, schedulesTable(items, place))
    } catch (error) {
      replace(problem, error.message)
    }
  }

  loadProfiles()
  loadSchedules()
  return { element, destroy: () => { alive = false } }
}

function profilesTable(items, place) {
  const rows = items.map(p => ({
    dataset: { profile: p.charging_profile_id, status: p.status },
    cells: [p.charging_profile_id, p.connector_id ?? 'pending', p.purpose, p.stack_level, p.kind,
      h('code', {}, profilePeriods(p.profile)), p.transaction_id ?? '—', p.status, time(p.status_at)],
  }))
  return table('charging-profiles', ['Profile', place, 'Purpose', 'Stack', 'Kind', 'Periods', 'Transaction', 'Status', 'Since'],
    rows, 'None.')
}

function schedulesTable(items, place) {
  const rows = items.map(s => {
    const schedule = s.response?.schedule ?? s.response?.chargingSchedule
    const start = s.response?.schedule?.scheduleStart ?? s.response?.scheduleStart
    return {
      dataset: { connector: s.connector_id },
      cells: [s.connector_id, `${s.duration} s`, s.charging_rate_unit ?? '—', outcome(s.status),
        start ? time(start) : '—', h('code', {}, periodsText(schedule)), time(s.received_at)],
    }
  })
  return table('composite-schedules', [place, 'Duration', 'Unit', 'Status', 'Start', 'Periods', 'Received'],
    rows, 'None asked for yet.')
}

function reportTable(parts) {
  const rows = []
  for (const part of parts) {
    for (const p of part.chargingProfile ?? []) {
      rows.push({ dataset: { profile: p.id },
        cells: [p.id, part.evseId, p.chargingProfilePurpose, p.stackLevel, p.chargingProfileKind,
          part.chargingLimitSource, h('code', {}, profilePeriods(p))] })
    }
  }
  return table('results reported-profiles', ['Profile', 'EVSE', 'Purpose', 'Stack', 'Kind', 'Source', 'Periods'], rows,
    'No profiles reported.')
}
