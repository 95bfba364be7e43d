// The operations on a station's page beyond the everyday commands, each a panel that
// opens on demand (and is built then): those of the 2.x device model only for a station
// that speaks 2.x, the configuration keys only for one that speaks 1.6, smart charging, the
// local list, firmware, its logs and the commands it was sent (any sent as written) for any.
import { h } from './dom.js'
import { chargingPanel } from './charging.js'
import { configurationPanel } from './configuration.js'
import { customerPanel } from './customer.js'
import { deviceModelPanel } from './device_model.js'
import { displayMessagesPanel } from './display_messages.js'
import { firmwarePanel } from './firmware.js'
import { localListPanel } from './local_list.js'
import { logsPanel } from './logs.js'
import { monitoringPanel } from './monitoring.js'
import { networkPanel } from './network.js'
import { recordedCommandsPanel } from './recorded_commands.js'

const PANELS = [ // [key, title, made, the versions it is for: '2' (2.0.1, 2.1), '1.6' or 'any']
  ['smart-charging', 'Smart charging', chargingPanel, 'any'],
  ['configuration', 'Configuration keys', configurationPanel, '1.6'],
  ['device-model', 'Device model', deviceModelPanel, '2'],
  ['monitoring', 'Monitoring', monitoringPanel, '2'],
  ['network-profile', 'Network profile', networkPanel, '2'],
  ['customer-information', 'Customer information', customerPanel, '2'],
  ['display-messages', 'Display messages', displayMessagesPanel, '2'],
  ['local-list', 'Local list', localListPanel, 'any'],
  ['firmware', 'Firmware', firmwarePanel, 'any'],
  ['logs', 'Logs', logsPanel, 'any'],
  ['commands', 'Commands', recordedCommandsPanel, 'any'],
]

export function stationOperations(stationId) {
  const built = []
  let version = null
  const panels = PANELS.map(([key, title, make, versions]) => {
    const details = h('details', { class: 'panel', dataset: { panel: key }, hidden: true },
      h('summary', {}, title))
    details.addEventListener('toggle', () => {
      if (!details.open || details.childElementCount > 1) return
      const panel = make(stationId, version)
      built.push(panel)
      details.append(panel.element)
    })
    return { details, versions }
  })
  const element = h('section', { class: 'operations' }, panels.map(p => p.details))

  return {
    element,
    // The station's record (again): what its version takes shows, the rest hides.
    show(station) {
      version = station.ocpp_version ?? null
      const speaks = version === null ? null : version === '1.6' ? '1.6' : '2'
      for (const { details, versions } of panels) details.hidden = versions !== 'any' && versions !== speaks
    },
    destroy() {
      for (const panel of built) panel.destroy?.()
    },
  }
}
