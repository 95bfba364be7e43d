// The schema rules the gateway forgives a station (PUT /stations/{id}/leniency, as
// `ocpp-cable stations lenient`): a message breaking only those is repaired, counted and
// kept raw in the message log instead of refused. They apply from its next connection.
import { api, ApiError } from './api.js'
import { entry } from './commands.js'
import { h, replace } from './dom.js'

// The API's schemas.ToleratedRule, with ocppj.leniency.RULES' repair of each.
export const RULES = [
  ['additionalProperties', 'properties the schema does not name are dropped'],
  ['maxLength', 'a string longer than allowed is cut to the maximum'],
  ['enum', "a value in the wrong case takes the schema's spelling"],
  ['type', 'numbers and booleans sent as strings, whole numbers sent as 1.0, and numbers where a string belongs are converted'],
  ['format', 'a date-time without a zone (read as UTC) or with a space for the T is written in ISO 8601'],
]

// `done` runs once the rules changed (the page reads the station again, then `show`s it).
export function leniencyPanel(stationId, done = () => {}) {
  const now = h('b', { class: 'tolerated' })
  const forgiven = h('span', { class: 'summary' })
  const problem = h('p', { class: 'problem', role: 'alert' })
  const said = h('p', { class: 'saved', role: 'status' })
  const boxes = RULES.map(([rule, repair]) => h('input', { type: 'checkbox', name: 'tolerate', value: rule, title: repair }))
  const strict = h('button', { type: 'button', class: 'strict', onclick: () => send([]) }, 'Strict')
  const form = h('form', { class: 'op leniency', onsubmit: event => {
    event.preventDefault()
    send(boxes.filter(box => box.checked).map(box => box.value))
  } },
  boxes.map((box, i) => h('label', { class: 'check', title: RULES[i][1] }, box, ' ', RULES[i][0])),
  h('button', { class: 'primary' }, 'Tolerate these'), strict)
  const element = h('details', { class: 'leniency', dataset: { panel: 'leniency' } },
    h('summary', {}, 'Lenient rules: ', now, ' ', forgiven),
    h('div', {},
      h('p', { class: 'summary' }, 'A message that breaks only the rules ticked is repaired (hover a rule for how), ' +
        'counted and kept raw in the message log; any other break gets a CALLERROR. ' +
        'A change takes effect from the station\'s next connection.'),
      form, problem, said))
  let current = null // the rules of the record shown, as the API sorted them

  function tick(rules) {
    for (const box of boxes) box.checked = rules.includes(box.value)
  }

  async function send(tolerate) {
    replace(problem)
    replace(said)
    const show = entry(stationId, 'Lenient rules')
    try {
      const path = `/stations/${encodeURIComponent(stationId)}/leniency`
      const station = await api(path, { method: 'PUT', body: { tolerate } })
      const rules = station.tolerate.length ? station.tolerate.join(', ') : 'strict'
      show('set', `${rules}, from its next connection`)
      replace(said, `Set to ${rules}: from the station's next connection.`)
      done()
    } catch (error) {
      tick(current ?? [])
      show(error instanceof ApiError ? `refused (${error.status})` : 'failed', error.message)
      replace(problem, error.message)
    }
  }

  return {
    element,
    // The station's record (again): what it tolerates now; ticks moved only when that
    // changed, so that a reload (its boot) does not undo ticks being made.
    show(station) {
      const rules = station.tolerate ?? []
      replace(now, rules.length ? rules.join(', ') : 'strict')
      const count = station.tolerated_count ?? 0
      replace(forgiven, count ? `(${count} message${count === 1 ? '' : 's'} forgiven)` : '')
      if (current === null || current.join() !== rules.join()) tick(rules)
      current = rules
    },
  }
}
