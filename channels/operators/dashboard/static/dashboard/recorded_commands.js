// A station's commands as the central system recorded them (GET /commands?station_id=),
// newest first, a page at a time and filtered by status, each with its payload and answer
// on demand; and any command sent as written (POST /stations/{id}/commands), its action
// one of those the station's OCPP version has (GET /ocpp/{version}/actions). The list is
// read again whenever a command this page sent to the station moves on.
import { api } from './api.js'
import { answerOf, run, watchCommands } from './commands.js'
import { debounce, h, replace, time } from './dom.js'
import { table } from './results.js'

const PAGE = 20
const STATUSES = ['queued', 'sent', 'accepted', 'rejected', 'error', 'timeout']
const KIND = { accepted: 'ok', queued: 'warn', sent: 'warn' } // the rest: bad
const HEADERS = ['Action', 'Status', 'Sent', 'Answered', 'Answer', '']

// `version`: the station's ("1.6", "2.0.1", "2.1"); none known, the API sends it 1.6's.
export function recordedCommandsPanel(stationId, version) {
  let alive = true
  let offset = 0
  let generation = 0 // an answer to an earlier page or filter is dropped
  const problem = h('p', { class: 'problem', role: 'alert' })
  const said = h('p', { class: 'saved', role: 'status' })
  const listProblem = h('p', { class: 'problem', role: 'alert' })
  const summary = h('p', { class: 'summary command-count' })
  const listed = h('div')

  const action = h('select', { name: 'action', required: true, disabled: true })
  const payload = h('textarea', { name: 'payload', rows: 4, cols: 48, spellcheck: 'false',
    placeholder: '{"type": "Soft"}' })
  payload.value = '{}'
  const send = h('form', { class: 'op send-command', onsubmit: sendCommand },
    h('label', {}, 'action', action), h('label', {}, 'payload (JSON)', payload),
    h('button', { class: 'primary' }, 'Send'))

  const status = h('select', { name: 'status', onchange: () => load(0) },
    h('option', { value: '' }, 'any'), STATUSES.map(s => h('option', {}, s)))
  const previous = h('button', { type: 'button', disabled: true, onclick: () => load(offset - PAGE) }, 'Previous')
  const next = h('button', { type: 'button', disabled: true, onclick: () => load(offset + PAGE) }, 'Next')

  const element = h('div', {},
    h('h3', {}, 'Send a command'), send, problem, said,
    h('h3', {}, 'Commands sent'),
    h('form', { class: 'op command-filter', onsubmit: event => event.preventDefault() },
      h('label', {}, 'status', status)),
    listProblem, summary, listed, h('p', { class: 'actions' }, previous, next))

  async function sendCommand(event) {
    event.preventDefault()
    replace(said)
    replace(problem)
    // Refused here, before anything goes: the API takes a JSON object and nothing else.
    let body
    try {
      body = JSON.parse(payload.value.trim() || '{}')
    } catch (error) {
      replace(problem, `The payload is not JSON: ${error.message}`)
      return
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      replace(problem, 'The payload must be a JSON object ({…}).')
      return
    }
    const record = await run(stationId, action.value, body, problem)
    if (record) replace(said, `${record.action}: ${record.status} ${answerOf(record)}`.trim())
  }

  async function loadActions() {
    try {
      const known = await api(`/ocpp/${encodeURIComponent(version ?? '1.6')}/actions`)
      replace(action, known.central.map(name => h('option', {}, name)))
      action.disabled = false
    } catch (error) {
      replace(problem, error.message)
    }
  }

  // `at`: the page asked for, kept at once (a reload meanwhile reads that one again).
  async function load(at = offset) {
    const mine = ++generation
    offset = at
    try {
      const query = { station_id: stationId, status: status.value, limit: PAGE, offset: at }
      const page = await api('/commands', { query })
      if (!alive || mine !== generation) return
      replace(listProblem)
      replace(listed, commandsTable(page.items, status.value))
      replace(summary, page.total ? `${at + 1}–${at + page.items.length} of ${page.total}` : '')
      previous.disabled = at === 0
      next.disabled = at + page.items.length >= page.total
    } catch (error) {
      if (alive) replace(listProblem, error.message)
    }
  }

  // A line of the commands panel moved on: a command of this station was recorded or
  // answered (or refused, which reads the same page again).
  const reload = debounce(() => { if (alive) load() }, 300)
  const unwatch = watchCommands(id => { if (id === stationId) reload() })

  loadActions()
  load(0)
  return { element, destroy: () => { alive = false; unwatch() } }
}

function commandsTable(items, filtered) {
  const rows = items.map(c => ({
    dataset: { command: c.id, action: c.action, status: c.status },
    cells: [h('b', {}, c.action),
      h('span', { class: `chip outcome-${KIND[c.status] ?? 'bad'}` }, c.status),
      c.sent_at ? time(c.sent_at) : h('span', { title: `recorded ${c.created_at}` }, 'not sent'),
      c.answered_at ? time(c.answered_at) : '—',
      h('code', {}, c.response?.status ?? c.error_code ?? ''),
      h('details', { class: 'command-body' }, h('summary', {}, 'Payload and answer'),
        h('h4', {}, 'Payload'), h('pre', { class: 'payload' }, JSON.stringify(c.payload, null, 2)),
        h('h4', {}, 'Answer'), h('pre', { class: 'answer' }, answer(c)))],
  }))
  return table('commands', HEADERS, rows, filtered ? `No ${filtered} command.` : 'No command sent yet.')
}

function answer(command) {
  if (command.response) return JSON.stringify(command.response, null, 2)
  if (command.error_code) return `error: ${command.error_code}`
  return 'none yet'
}
