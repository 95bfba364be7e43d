// The messages a 2.x station shows its drivers: one set (SetDisplayMessage), those it has
// asked for (GetDisplayMessages, shown as its NotifyDisplayMessages listed them), one
// cleared (ClearDisplayMessage).
import { h, replace, time, utcInstant } from './dom.js'
import { operate } from './operate.js'
import { acceptedRequests, reportParts } from './reports.js'
import { table } from './results.js'

const PRIORITIES = ['AlwaysFront', 'InFront', 'NormalCycle']
const STATES = ['Charging', 'Faulted', 'Idle', 'Unavailable']
const FORMATS = ['UTF8', 'ASCII', 'HTML', 'URI']

const options = (values, chosen, none) =>
  [none && h('option', { value: '' }, none), ...values.map(v => h('option', { selected: v === chosen }, v))]

export function displayMessagesPanel(stationId) {
  let alive = true
  const problem = h('p', { class: 'problem', role: 'alert' })
  const said = h('p', { class: 'saved', role: 'status' })
  const shown = h('div')

  const content = h('input', { name: 'content', required: true, maxlength: 1024, size: 32 })
  const priority = h('select', { name: 'priority' }, options(PRIORITIES, 'NormalCycle'))
  const format = h('select', { name: 'format' }, options(FORMATS, 'UTF8'))
  const language = h('input', { name: 'language', maxlength: 8, size: 4, placeholder: 'en' })
  const state = h('select', { name: 'state' }, options(STATES, null, 'any'))
  const start = h('input', { name: 'start', type: 'datetime-local' })
  const end = h('input', { name: 'end', type: 'datetime-local' })
  const transaction = h('input', { name: 'transaction_id', maxlength: 36, size: 10 })
  const id = h('input', { name: 'id', type: 'number', min: 0, class: 'narrow', placeholder: 'new' })
  const setForm = h('form', { class: 'op display-message', onsubmit: set },
    h('label', {}, 'message', content), h('label', {}, 'priority', priority), h('label', {}, 'format', format),
    h('label', {}, 'language', language), h('label', {}, 'while the station is', state),
    h('label', {}, 'from, UTC', start), h('label', {}, 'until, UTC', end),
    h('label', {}, 'during transaction', transaction), h('label', {}, 'replaces id', id),
    h('button', { class: 'primary', title: 'SetDisplayMessage' }, 'Show message'))

  const ids = h('input', { name: 'ids', size: 10, placeholder: 'all' })
  const byPriority = h('select', { name: 'priority' }, options(PRIORITIES, null, 'any'))
  const byState = h('select', { name: 'state' }, options(STATES, null, 'any'))
  const getForm = h('form', { class: 'op display-messages', onsubmit: get },
    h('label', {}, 'ids', ids), h('label', {}, 'priority', byPriority), h('label', {}, 'state', byState),
    h('button', { title: 'GetDisplayMessages' }, 'Get messages'))

  const element = h('div', {}, h('h3', {}, 'Show a message'), setForm,
    h('h3', {}, 'Messages shown'), getForm, problem, said, shown)

  async function set(event) {
    event.preventDefault()
    replace(said)
    const body = { content: content.value, priority: priority.value, format: format.value,
      language: language.value.trim() || undefined, state: state.value || undefined,
      start: utcInstant(start), end: utcInstant(end), transaction_id: transaction.value.trim() || undefined,
      id: id.value === '' ? undefined : Number(id.value) }
    const records = await operate(stationId, 'SetDisplayMessage', 'display-messages/set', body, problem)
    if (!records) return
    const [record] = records
    const messageId = record.payload?.message?.id
    replace(said, `Message ${messageId ?? ''}: the station said ${record.response?.status ?? record.status}.`)
  }

  async function get(event) {
    event?.preventDefault()
    replace(said)
    const texts = ids.value.split(/[\s,]+/).filter(Boolean)
    if (!texts.every(t => /^\d{1,10}$/.test(t))) {
      replace(problem, 'message ids: whole numbers, 0 or more, separated by commas')
      return
    }
    const body = { ids: texts.map(Number), priority: byPriority.value || undefined, state: byState.value || undefined }
    const records = await operate(stationId, 'GetDisplayMessages', 'display-messages/get', body, problem)
    if (!records) return
    const [request] = acceptedRequests(records)
    if (request === undefined) {
      const answer = records.map(r => r.response?.status ?? r.status).join(', ')
      replace(said, answer === 'Unknown' ? 'The station shows no such message.' : `The station said ${answer}.`)
      replace(shown)
      return
    }
    replace(said, 'Waiting for the station\'s list…')
    const got = await reportParts(stationId, 'NotifyDisplayMessages', request, () => alive)
    if (got.problem) replace(problem, got.problem)
    replace(said, got.complete ? '' : 'The list is not all in yet.')
    replace(shown, messagesTable(got.parts.flatMap(part => part.messageInfo ?? []), clear))
  }

  async function clear(message, row) {
    replace(said)
    const records = await operate(stationId, 'ClearDisplayMessage', 'display-messages/clear', { id: message.id }, problem)
    if (!records) return
    const [record] = records
    replace(said, `Message ${message.id}: the station said ${record.response?.status ?? record.status}.`)
    if (record.status === 'accepted') row.remove()
  }

  return { element, destroy: () => { alive = false } }
}

function messagesTable(messages, clear) {
  const rows = messages.map(m => ({
    dataset: { message: m.id },
    cells: [m.id, m.priority, m.state ?? 'any', h('code', {}, m.message?.content ?? ''), m.message?.format ?? '',
      m.message?.language ?? '', m.startDateTime ? time(m.startDateTime) : '—', m.endDateTime ? time(m.endDateTime) : '—',
      m.transactionId ?? '',
      h('button', { type: 'button', class: 'danger', title: 'ClearDisplayMessage', onclick: event => clear(m, event.currentTarget.closest('tr')) }, 'Clear')],
  }))
  return table('display-messages', ['Id', 'Priority', 'State', 'Message', 'Format', 'Language', 'From', 'Until', 'Transaction', ''],
    rows, 'No messages.')
}
