// The operations on a station's page beyond the everyday commands, each a panel that
// opens on demand (and is built then): those of the 2.x device model only for a station
// that speaks 2.x, its logs for any.
import { h } from './dom.js'
import { customerPanel } from './customer.js'
import { deviceModelPanel } from './device_model.js'
import { displayMessagesPanel } from './display_messages.js'
import { logsPanel } from './logs.js'
import { monitoringPanel } from './monitoring.js'
import { networkPanel } from './network.js'

const PANELS = [ // [key, title, made, for 2.x only]
  ['device-model', 'Device model', deviceModelPanel, true],
  ['monitoring', 'Monitoring', monitoringPanel, true],
  ['network-profile', 'Network profile', networkPanel, true],
  ['customer-information', 'Customer information', customerPanel, true],
  ['display-messages', 'Display messages', displayMessagesPanel, true],
  ['logs', 'Logs', logsPanel, false],
]

export function stationOperations(stationId) {
  const built = []
  let version = null
  const panels = PANELS.map(([key, title, make, only2]) => {
    const details = h('details', { class: 'panel', dataset: { panel: key }, hidden: true },
      h('summary', {}, title))
    details.addEventListener('toggle', () => {
      if (!details.open || details.childElementCount > 1) return
      const panel = make(stationId, version)
      built.push(panel)
      details.append(panel.element)
    })
    return { details, only2 }
  })
  const element = h('section', { class: 'operations' }, panels.map(p => p.details))

  return {
    element,
    // The station's record (again): what its version takes shows, the rest hides.
    show(station) {
      version = station.ocpp_version ?? null
      const speaks2 = version !== null && version !== '1.6'
      for (const { details, only2 } of panels) details.hidden = only2 && !speaks2
    },
    destroy() {
      for (const panel of built) panel.destroy?.()
    },
  }
}
