// A 2.x station's network profile: a connection profile in one of its configuration slots
// (SetNetworkProfile, composed by the central system in the station's version). The
// station connects with it once its NetworkConfigurationPriority names the slot.
import { h, replace } from './dom.js'
import { operate } from './operate.js'

const INTERFACES = ['Wired0', 'Wired1', 'Wired2', 'Wired3', 'Wireless0', 'Wireless1', 'Wireless2', 'Wireless3']

export function networkPanel(stationId) {
  const problem = h('p', { class: 'problem', role: 'alert' })
  const said = h('p', { class: 'saved', role: 'status' })
  const slot = h('input', { name: 'slot', type: 'number', min: 1, value: 1, required: true, class: 'narrow' })
  const url = h('input', { name: 'url', required: true, maxlength: 512, size: 36, placeholder: 'wss://csms.example.com/ocpp' })
  const profile = h('select', { name: 'security_profile' }, [1, 2, 3].map(p => h('option', { value: p, selected: p === 2 }, p)))
  const iface = h('select', { name: 'interface' }, INTERFACES.map(i => h('option', {}, i)))
  const timeout = h('input', { name: 'message_timeout', type: 'number', min: 1, value: 30, required: true, class: 'narrow' })
  const form = h('form', { class: 'op network-profile', onsubmit: send },
    h('label', {}, 'slot', slot), h('label', {}, 'central system URL', url),
    h('label', {}, 'security profile', profile), h('label', {}, 'interface', iface),
    h('label', {}, 'message timeout (s)', timeout),
    h('button', { class: 'primary', title: 'SetNetworkProfile' }, 'Send profile'))
  const element = h('div', {},
    h('p', { class: 'summary' }, 'Profile 1 connects over ws://, 2 and 3 over wss://.'), form, problem, said)

  async function send(event) {
    event.preventDefault()
    replace(said)
    const body = { slot: Number(slot.value), url: url.value.trim(), security_profile: Number(profile.value),
      interface: iface.value, message_timeout: Number(timeout.value) }
    const records = await operate(stationId, 'SetNetworkProfile', 'network-profile', body, problem)
    if (!records) return
    const [record] = records
    replace(said, `Slot ${body.slot}: the station said ${record.response?.status ?? record.status}.`)
  }

  return { element }
}
