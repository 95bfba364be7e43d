// The stations view's selection and what it sends to each station selected: the commands
// the central system composes in each one's version (POST /stations/{id}/reset,
// clear-cache, availability, trigger), each in the commands panel with its station's answer.
import { ask } from './dialog.js'
import { h, replace } from './dom.js'
import { operate } from './operate.js'

const AT_ONCE = 4 // requests under way together, each waiting for its station

const ACTIONS = [ // [label, the command's label, route, what the dialog asks -> body]
  ['Reset', 'Reset', 'reset', [
    { name: 'when', label: 'When', type: 'select', options: ['once idle', 'now'], value: 'once idle' },
  ], values => ({ immediate: values.when === 'now' })],
  ['Clear cache', 'ClearCache', 'clear-cache', [], () => ({})],
  ['Availability', 'ChangeAvailability', 'availability', [
    { name: 'state', label: 'State', type: 'select', options: ['Inoperative', 'Operative'], value: 'Inoperative' },
  ], values => ({ operative: values.state === 'Operative' })],
  ['Trigger StatusNotification', 'TriggerMessage', 'trigger', [],
    () => ({ message: 'StatusNotification' })],
]

// Sends to every station, AT_ONCE at a time; resolves to {station id: record or null}.
async function sendAll(stationIds, label, route, body) {
  const results = {}
  const queue = [...stationIds]
  const worker = async () => {
    while (queue.length) {
      const stationId = queue.shift()
      const records = await operate(stationId, label, route, body)
      results[stationId] = records?.[records.length - 1] ?? null
    }
  }
  await Promise.all(Array.from({ length: Math.min(AT_ONCE, queue.length) }, worker))
  return results
}

// The selection (a Set of station ids, kept across the rows' redraws), its checkboxes and
// the bar that acts on it.
export function bulkSelection() {
  const selected = new Set()
  const boxes = new Map() // station id -> its row's checkbox
  const count = h('span', { class: 'count' })
  const done = h('span', { class: 'summary', role: 'status' })
  const all = h('input', { type: 'checkbox', class: 'select-all', title: 'Select every station listed',
    onchange: () => {
      for (const [id, box] of boxes) {
        box.checked = all.checked
        if (all.checked) selected.add(id)
        else selected.delete(id)
      }
      changed()
    } })
  const buttons = ACTIONS.map(([text, label, route, fields, body]) =>
    h('button', { type: 'button', dataset: { bulk: route }, onclick: () => send(text, label, route, fields, body) }, text))
  const bar = h('div', { class: 'bulk', hidden: true }, count, ' ', h('span', { class: 'actions' }, buttons), ' ',
    h('button', { type: 'button', class: 'clear-selection', onclick: clear }, 'Clear selection'), ' ', done)

  function changed() {
    for (const id of [...selected]) if (!boxes.has(id)) selected.delete(id) // no longer listed
    bar.hidden = selected.size === 0 && !done.textContent
    replace(count, `${selected.size} selected`)
    all.checked = boxes.size > 0 && selected.size === boxes.size
    all.indeterminate = selected.size > 0 && selected.size < boxes.size
    for (const button of buttons) button.disabled = selected.size === 0
  }

  function clear() {
    selected.clear()
    for (const box of boxes.values()) box.checked = false
    replace(done)
    changed()
  }

  async function send(text, label, route, fields, body) {
    const ids = [...selected].sort()
    const values = await ask(`${text}: ${ids.length} station${ids.length === 1 ? '' : 's'}`, fields, 'Send',
      ids.join(', '))
    if (!values) return
    replace(done, `${text}: sending to ${ids.length}…`)
    const results = await sendAll(ids, label, route, body(values))
    const accepted = Object.values(results).filter(r => r?.status === 'accepted').length
    replace(done, `${text}: ${accepted} of ${ids.length} accepted (each in the commands panel).`)
  }

  return {
    bar,
    all,
    // The checkbox of a row drawn (again) for `stationId`.
    box(stationId) {
      const box = h('input', { type: 'checkbox', name: 'selected', value: stationId, checked: selected.has(stationId),
        'aria-label': `Select ${stationId}`,
        onchange: () => {
          if (box.checked) selected.add(stationId)
          else selected.delete(stationId)
          changed()
        } })
      boxes.set(stationId, box)
      return box
    },
    // The rows were drawn again from scratch: the boxes of stations no longer listed go.
    forget() {
      boxes.clear()
    },
    changed,
  }
}
