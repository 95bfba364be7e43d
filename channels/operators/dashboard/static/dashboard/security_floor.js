// The lowest OCPP security profile a station may connect with (PUT
// /stations/{id}/security-profile): any, 1 (HTTP Basic over ws://), 2 (Basic over TLS),
// 3 (TLS with a client certificate). It rises by itself once the station connected on a
// profile it was moved to; lowering it is the operator's.
import { api, ApiError } from './api.js'
import { entry } from './commands.js'
import { ask } from './dialog.js'
import { h } from './dom.js'

const CHOICES = [['', 'any'], ['1', '1'], ['2', '2'], ['3', '3']]

// The floor's selector for `station` (its record from the API); `done` runs once it changed.
export function floorSelector(station, done = () => {}) {
  const current = station.security_profile == null ? '' : String(station.security_profile)
  const select = h('select', { name: 'security_profile', class: 'security-floor', title: 'The lowest profile it may connect with',
    onchange: () => change(station.id, select, current).then(changed => changed && done()) },
  CHOICES.map(([value, label]) => h('option', { value, selected: value === current }, label)))
  const pending = station.pending_security_profile
  return h('span', {}, select,
    pending == null ? '' : h('span', { class: 'summary' }, ` (moving to ${pending}: accepted, not connected on yet)`))
}

async function change(stationId, select, current) {
  const floor = select.value === '' ? null : Number(select.value)
  const yes = await ask(floor === null
    ? `Let ${stationId} connect with any security profile?`
    : `Refuse ${stationId} connections below security profile ${floor}?`, [], 'Change')
  if (!yes) {
    select.value = current
    return false
  }
  const show = entry(stationId, 'Security profile floor')
  try {
    const path = `/stations/${encodeURIComponent(stationId)}/security-profile`
    const station = await api(path, { method: 'PUT', body: { floor } })
    show('set', `floor ${station.security_profile ?? 'any'}, from its next connection`)
    return true
  } catch (error) {
    select.value = current
    show(error instanceof ApiError ? `refused (${error.status})` : 'failed', error.message)
    return false
  }
}
