// A station's Local Authorization List, kept in step with our idTags: where it stands (GET
// .../local-list), what changed sent or the whole list (POST .../local-list/sync: the
// SendLocalList of its version), and the version it holds asked for (POST
// .../local-list/version: GetLocalListVersion).
import { api, ApiError } from './api.js'
import { entry, settle } from './commands.js'
import { h, replace } from './dom.js'
import { operate } from './operate.js'

const TOKEN_TYPES = ['Central', 'eMAID', 'ISO14443', 'ISO15693', 'KeyCode', 'Local', 'MacAddress']

export function localListPanel(stationId, version) {
  let alive = true
  const v2 = version !== null && version !== '1.6'
  const path = `/stations/${encodeURIComponent(stationId)}/local-list`
  const problem = h('p', { class: 'problem', role: 'alert' })
  const said = h('p', { class: 'saved', role: 'status' })
  const state = h('dl', { class: 'details local-list' })
  const full = h('input', { name: 'full', type: 'checkbox' })
  const tokenType = h('select', { name: 'token_type' }, h('option', { value: '' }, 'as last sent'),
    TOKEN_TYPES.map(t => h('option', {}, t)))
  const form = h('form', { class: 'op local-list', onsubmit: sync },
    h('label', { class: 'check' }, full, ' the whole list'),
    v2 ? h('label', {}, 'idToken type', tokenType) : null,
    h('button', { class: 'primary', title: 'SendLocalList' }, 'Sync'),
    h('button', { type: 'button', title: 'GetLocalListVersion', onclick: askVersion }, 'Ask its version'))
  const element = h('div', {}, form, problem, said, state)

  async function sync(event) {
    event.preventDefault()
    replace(said)
    replace(problem)
    const show = entry(stationId, 'SendLocalList')
    try {
      const body = { full: full.checked, token_type: v2 && tokenType.value ? tokenType.value : undefined }
      const sent = await api(`${path}/sync`, { method: 'POST', body })
      if (!sent.sent) {
        show('in sync', `version ${sent.version ?? '—'}`)
        replace(said, `In sync: the station holds version ${sent.version ?? '—'}; nothing sent.`)
      } else {
        const record = await settle(sent.command_id)
        show(record.status, record.response ? JSON.stringify(record.response) : record.error_code ?? '')
        replace(said, `Version ${sent.version} (${sent.update_type}, ${sent.entries} entries): ` +
          `the station said ${record.response?.status ?? record.status}.`)
      }
    } catch (error) {
      show(error instanceof ApiError ? `refused (${error.status})` : 'failed', error.message)
      replace(problem, error.message)
    }
    await load()
  }

  async function askVersion() {
    replace(said)
    const records = await operate(stationId, 'GetLocalListVersion', 'local-list/version', undefined, problem)
    if (!records) return
    const answer = records[0].response
    const held = answer?.listVersion ?? answer?.versionNumber
    replace(said, held === undefined ? `The station said ${records[0].status}.` : `The station holds version ${held}.`)
    await load()
  }

  async function load() {
    try {
      const now = await api(path)
      if (!alive) return
      const field = (term, value) => [h('dt', {}, term), h('dd', {}, value ?? '—')]
      replace(state,
        field('version held', now.version), field('in sync', now.in_sync ? 'yes' : 'no'),
        field('entries held', now.entries), field('entries wanted', now.wanted),
        now.left_out ? field('left out (idTag too long)', now.left_out) : null,
        now.supported ? null : field('supported', 'no'),
        now.problem ? field('problem', now.problem) : null,
        now.in_flight ? field('awaiting answer', `version ${now.in_flight.version ?? '—'}`) : null)
    } catch (error) {
      replace(problem, error.message)
    }
  }

  load()
  return { element, destroy: () => { alive = false } }
}
