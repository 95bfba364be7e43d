// A 1.6 station's configuration keys: as stored (GET .../configuration, from its last
// GetConfiguration answer and the changes it accepted), read again from the station
// (GetConfiguration), and one changed (ChangeConfiguration); a key it reported readonly has
// no Change, and the API refuses it.
import { api } from './api.js'
import { h, replace, time } from './dom.js'
import { operate } from './operate.js'
import { table } from './results.js'

export function configurationPanel(stationId) {
  let alive = true
  const problem = h('p', { class: 'problem', role: 'alert' })
  const said = h('p', { class: 'saved', role: 'status' })
  const stored = h('div')

  const keys = h('input', { name: 'keys', size: 30, placeholder: 'all, or e.g. HeartbeatInterval, MeterValueSampleInterval' })
  const getForm = h('form', { class: 'op get-configuration', onsubmit: refresh },
    h('label', {}, 'keys, comma-separated', keys),
    h('button', { title: 'GetConfiguration' }, 'Read from the station'))

  const key = h('input', { name: 'key', required: true, maxlength: 50, size: 24 })
  const value = h('input', { name: 'value', maxlength: 500, size: 24 })
  const setForm = h('form', { class: 'op change-configuration', onsubmit: change },
    h('label', {}, 'key', key), h('label', {}, 'value', value),
    h('button', { class: 'primary', title: 'ChangeConfiguration' }, 'Change'))

  const element = h('div', {},
    h('h3', {}, 'Change a key'), setForm, h('h3', {}, 'Keys as stored'), getForm, problem, said, stored)

  async function refresh(event) {
    event.preventDefault()
    replace(said)
    const body = { keys: keys.value.split(',').map(k => k.trim()).filter(Boolean) }
    const records = await operate(stationId, 'GetConfiguration', 'configuration/get', body, problem)
    if (!records) return
    const [record] = records
    const unknown = record.response?.unknownKey ?? []
    replace(said, record.status === 'accepted'
      ? `The station reported ${record.response?.configurationKey?.length ?? 0} keys` +
        (unknown.length ? `; unknown: ${unknown.join(', ')}.` : '.')
      : `The station did not answer: ${record.status}.`)
    await load()
  }

  async function change(event) {
    event.preventDefault()
    replace(said)
    const body = { key: key.value.trim(), value: value.value }
    const records = await operate(stationId, 'ChangeConfiguration', 'configuration/set', body, problem)
    if (!records) return
    const [record] = records
    replace(said, `${body.key}: the station said ${record.response?.status ?? record.status}.`)
    await load()
  }

  function use(row) {
    key.value = row.key
    value.value = row.value ?? ''
    value.focus()
  }

  async function load() {
    try {
      const items = await api(`/stations/${encodeURIComponent(stationId)}/configuration`)
      if (alive) replace(stored, keysTable(items, use))
    } catch (error) {
      replace(problem, error.message)
    }
  }

  load()
  return { element, destroy: () => { alive = false } }
}

function keysTable(items, use) {
  const rows = items.map(row => ({
    dataset: { key: row.key },
    cells: [h('code', {}, row.key), row.value == null ? '—' : h('code', {}, row.value),
      row.readonly == null ? '—' : row.readonly ? 'yes' : 'no', row.reboot_required ? 'yes' : '',
      time(row.updated_at),
      row.readonly ? '' : h('button', { type: 'button', title: 'Put it in the form', onclick: () => use(row) }, 'Change')],
  }))
  return table('configuration', ['Key', 'Value', 'Readonly', 'Reboot required', 'Updated', ''], rows,
    'None yet: read them from the station.')
}
