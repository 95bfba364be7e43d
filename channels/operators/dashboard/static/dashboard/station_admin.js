// Adding a station, setting its password and removing it (POST, PATCH, DELETE
// /stations). The API keeps only a password's salted hash: a password made here is shown
// once, to be copied into the station, and never again.
import { api } from './api.js'
import { ask } from './dialog.js'
import { h, replace } from './dom.js'
import { secretOnce } from './secret_once.js'

// As the central system makes one for a rotation: letters and digits, 20 of them (119
// bits), which both 1.6 (16 to 20 octets) and 2.x (16 to 40 characters) take.
const MADE_OF = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const LENGTH = 20

export function newPassword() {
  const chosen = []
  const limit = 256 - (256 % MADE_OF.length) // no byte value favours a character
  while (chosen.length < LENGTH) {
    for (const byte of crypto.getRandomValues(new Uint8Array(LENGTH * 2))) {
      if (byte < limit && chosen.length < LENGTH) chosen.push(MADE_OF[byte % MADE_OF.length])
    }
  }
  return chosen.join('')
}

// The password just made, shown once (secret_once.js).
function passwordOnce(stationId, password) {
  return secretOnce(['The password of ', h('b', { class: 'id' }, stationId),
    ', shown only now: put it in the station (HTTP Basic), it cannot be read again.'], password)
}

const PASSWORD_CHOICES = {
  generate: 'made here (shown once)',
  typed: 'the one typed below',
  none: 'none: it connects without credentials',
}

// The password the operator chose in a dialog's `choice` and `password` fields: a made
// one (`made` true), a typed one, or null for none; undefined when the choice needs a
// password that was not typed.
function chosenPassword(values) {
  if (values.choice === PASSWORD_CHOICES.generate) return { password: newPassword(), made: true }
  if (values.choice === PASSWORD_CHOICES.none) return { password: null, made: false }
  return values.password ? { password: values.password, made: false } : undefined
}

const passwordFields = first => [
  { name: 'choice', label: 'Password', type: 'select', options: Object.values(PASSWORD_CHOICES), value: first },
  { name: 'password', label: 'Typed password (only for "the one typed below")', type: 'password' },
]

// The form that adds a station; `added(station)` runs once the API added it. A password
// made here shows in `shown` until Done.
export function addStationForm(added) {
  const problem = h('p', { class: 'problem', role: 'alert' })
  const shown = h('div')
  const id = h('input', { name: 'id', required: true, maxlength: 48, placeholder: 'e.g. CP-1', pattern: '[^\\/:]+' })
  const choice = h('select', { name: 'password_choice' },
    Object.entries(PASSWORD_CHOICES).map(([value, label]) => h('option', { value }, label)))
  const typed = h('input', { name: 'password', type: 'password', autocomplete: 'new-password', disabled: true })
  const registration = h('select', { name: 'registration' },
    h('option', { value: '' }, 'as the setting says'),
    ['accepted', 'pending', 'rejected'].map(r => h('option', {}, r)))
  choice.addEventListener('change', () => {
    typed.disabled = choice.value !== 'typed'
    typed.required = !typed.disabled
    if (typed.disabled) typed.value = ''
  })
  const form = h('form', { class: 'op add-station', onsubmit: submit },
    h('label', {}, 'Station id', id), h('label', {}, 'Password', choice),
    h('label', {}, 'Typed password', typed), h('label', {}, 'Registration', registration),
    h('button', { class: 'primary' }, 'Add station'))

  async function submit(event) {
    event.preventDefault()
    replace(problem)
    replace(shown)
    const stationId = id.value.trim()
    const made = choice.value === 'generate'
    const password = made ? newPassword() : choice.value === 'typed' ? typed.value : null
    const body = { id: stationId, password, registration: registration.value || null }
    try {
      const station = await api('/stations', { method: 'POST', body })
      form.reset()
      typed.disabled = true
      typed.required = false
      if (made) replace(shown, passwordOnce(stationId, password))
      added(station)
    } catch (error) {
      replace(problem, error.message)
    }
  }

  return h('details', { class: 'panel add-station', dataset: { panel: 'add-station' } },
    h('summary', {}, 'Add station'), h('div', {}, form, problem, shown))
}

// Sets or removes the station's password (PATCH /stations/{id}); resolves to the station
// as the API then holds it, or null when the operator cancelled. A made password shows in
// `where` until Done.
export async function setPassword(stationId, where) {
  const values = await ask(`Password of ${stationId}`, passwordFields(PASSWORD_CHOICES.generate), 'Set')
  if (!values) return null
  const chosen = chosenPassword(values)
  if (chosen === undefined) throw new Error('Type the password, or choose one made here or none.')
  const station = await api(`/stations/${encodeURIComponent(stationId)}`,
    { method: 'PATCH', body: { password: chosen.password } })
  replace(where, chosen.made ? passwordOnce(stationId, chosen.password)
    : h('p', { class: 'saved', role: 'status' }, chosen.password
      ? 'Password set: the station must log in with it from its next connection.'
      : 'No password: the station connects without credentials.'))
  return station
}

// Removes the station once the operator confirmed, told what goes with it; resolves to
// true when removed.
export async function removeStation(stationId, connected) {
  const { total: count } = await api('/transactions', { query: { station_id: stationId, limit: 1 } })
  const said = [
    `Its connectors, its ${count} transaction${count === 1 ? '' : 's'} and their meter values go with it.`,
    connected ? 'It is connected: it stays so until it reconnects, and is then refused.' : null,
  ].filter(Boolean).join(' ')
  if (!(await ask(`Remove station ${stationId}?`, [], 'Remove', said))) return false
  await api(`/stations/${encodeURIComponent(stationId)}`, { method: 'DELETE' })
  return true
}
