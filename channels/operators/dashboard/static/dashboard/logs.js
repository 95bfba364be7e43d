// A station's logs: one asked for (GetDiagnostics on 1.6, GetLog on 2.x or for a security
// log; POST /stations/{id}/diagnostics), uploaded by the station to the central system,
// and those asked for listed with how they went, each arrived file to download.
import { api, ApiError, download } from './api.js'
import { entry, settle } from './commands.js'
import { h, replace, time, utcInstant } from './dom.js'
import { table } from './results.js'

const SHOWN = 20
const LOOK_EVERY = 2000 // ms, while a request is open
const LOOKS = 90 // then the Refresh button

export function logsPanel(stationId, version) {
  let alive = true
  let timer = null
  const v16 = version === '1.6'
  const problem = h('p', { class: 'problem', role: 'alert' })
  const listed = h('div')
  // 1.6 has GetDiagnostics, and GetLog for its security log (the security extension).
  const kinds = v16
    ? [['', 'diagnostics (GetDiagnostics)'], ['security', 'security log (GetLog)']]
    : [['diagnostics', 'diagnostics log'], ['security', 'security log']]
  const log = h('select', { name: 'log' }, kinds.map(([value, label]) => h('option', { value }, label)))
  const start = h('input', { name: 'start', type: 'datetime-local' })
  const stop = h('input', { name: 'stop', type: 'datetime-local' })
  const retries = h('input', { name: 'retries', type: 'number', min: 0, class: 'narrow' })
  const interval = h('input', { name: 'retry_interval', type: 'number', min: 0, class: 'narrow' })
  const form = h('form', { class: 'op logs', onsubmit: ask },
    h('label', {}, 'log', log), h('label', {}, 'from, UTC', start), h('label', {}, 'until, UTC', stop),
    h('label', {}, 'retries', retries), h('label', {}, 'retry interval (s)', interval),
    h('button', { class: 'primary', title: v16 ? 'GetDiagnostics / GetLog' : 'GetLog' }, 'Request log'),
    h('button', { type: 'button', onclick: () => load() }, 'Refresh'))
  const element = h('div', {}, form, problem, listed)

  const number = input => input.value === '' ? undefined : Number(input.value)

  async function ask(event) {
    event.preventDefault()
    replace(problem)
    const body = { log: log.value || undefined, start: utcInstant(start), stop: utcInstant(stop),
      retries: number(retries), retry_interval: number(interval) }
    const show = entry(stationId, v16 && !body.log ? 'GetDiagnostics' : 'GetLog')
    try {
      const made = await api(`/stations/${encodeURIComponent(stationId)}/diagnostics`, { method: 'POST', body })
      show('sent', `request ${made.id}`)
      await load()
      const record = await settle(made.command_id)
      show(record.status, record.response ? JSON.stringify(record.response) : record.error_code ?? '')
    } catch (error) {
      show(error instanceof ApiError ? `refused (${error.status})` : 'failed', error.message)
      replace(problem, error.message)
    }
    await load()
  }

  async function load(looks = LOOKS) {
    clearTimeout(timer)
    try {
      const page = await api('/diagnostics', { query: { station_id: stationId, limit: SHOWN } })
      replace(listed, requestsTable(page.items, fetchFile))
      // Open ones change as the station uploads: looked at again for a while.
      if (alive && looks > 0 && page.items.some(r => r.state === 'open')) {
        timer = setTimeout(() => load(looks - 1), LOOK_EVERY)
      }
    } catch (error) {
      replace(problem, error.message)
    }
  }

  async function fetchFile(request) {
    replace(problem)
    try {
      const blob = await download(`/diagnostics/${request.id}/file`)
      const link = h('a', { href: URL.createObjectURL(blob), download: request.file_name || `log-${request.id}` })
      link.click()
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000)
    } catch (error) {
      replace(problem, error.message)
    }
  }

  load()
  return { element, destroy: () => { alive = false; clearTimeout(timer) } }
}

function requestsTable(items, fetchFile) {
  const rows = items.map(r => ({
    dataset: { request: r.id, state: r.state },
    cells: [r.id, r.log_type ?? 'diagnostics (1.6)', r.status, h('span', { class: `chip log-${r.state}` }, r.state),
      r.file_name ? h('code', {}, r.file_name) : '—', r.size == null ? '—' : `${r.size} B`,
      time(r.created_at), r.received_at ? time(r.received_at) : '—',
      r.received_at ? h('button', { type: 'button', onclick: () => fetchFile(r) }, 'Download') : ''],
  }))
  return table('logs', ['Request', 'Log', 'Status', 'State', 'File', 'Size', 'Requested', 'Received', ''], rows,
    'No log asked for yet.')
}
