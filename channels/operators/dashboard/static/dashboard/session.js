// A charging session as it happens: energy so far, power now, its cost so far (when a
// tariff prices it), and a chart of power; Remote stop, or Close when its stop never came,
// and the readings that named it but were kept apart.
import { api, list } from './api.js'
import { remoteStop } from './commands.js'
import { debounce, h, kw, kwh, money, time } from './dom.js'
import { keptApartReadings } from './kept_apart.js'
import { PowerTrace, fromRows } from './power.js'
import { closeButton } from './transaction_close.js'

const HEIGHT = 150

export class SessionCard {
  constructor(transaction) {
    this.transaction = transaction
    this.trace = new PowerTrace(transaction.meter_start, transaction.start_time)
    this.early = [] // live readings that came before the stored ones were read
    this.seeded = false
    this.destroyed = false
    this.chart = null
    this.energy = h('output', { class: 'energy' }, '—')
    this.power = h('output', { class: 'power' }, '—')
    this.cost = h('output', { class: 'cost' }, money(transaction.cost, transaction.currency))
    // The running cost is the API's (as of the newest reading): read again after readings.
    this.refreshCost = debounce(() => this.loadCost(), 1000)
    this.plot = h('div', { class: 'chart', dataset: { points: 0 } })
    const station = transaction.station_id
    this.closeOutcome = h('p', { class: 'close-outcome problem', role: 'status' })
    this.stopButton = h('button', { type: 'button', class: 'stop',
      onclick: () => remoteStop(station, transaction) }, 'Remote stop')
    this.closeButton = closeButton(transaction, {
      where: this.closeOutcome,
      lastWh: () => this.trace.lastEnergy?.wh ?? null,
      // Closed here: the view drops the card once the live event says so.
      done: () => { this.stopButton.disabled = this.closeButton.disabled = true },
    })
    this.el = h('article', { class: 'session', dataset: { transaction: transaction.id, station } },
      h('header', {},
        h('a', { href: `#/stations/${encodeURIComponent(station)}` }, station),
        ` · connector ${transaction.connector_id} · transaction ${transaction.id}`),
      h('div', { class: 'figures' },
        h('label', {}, 'energy ', this.energy),
        h('label', {}, 'power ', this.power),
        transaction.tariff ? h('label', { title: `tariff ${transaction.tariff}` }, 'cost ', this.cost) : null),
      this.plot,
      h('footer', {},
        'idTag ', h('code', {}, transaction.id_tag ?? '—'), ' · since ', time(transaction.start_time),
        this.stopButton, this.closeButton),
      this.closeOutcome,
      keptApartReadings(transaction.id))
  }

  // Call once the card is in the document (the chart takes its width).
  async start() {
    this.resize = new ResizeObserver(() => this.chart?.setSize(this.size()))
    this.resize.observe(this.plot)
    let rows = []
    try {
      rows = await list(`/transactions/${this.transaction.id}/meter-values`, {}, { limit: 500, max: 2000 })
    } catch {
      // No history (a transaction closed meanwhile): the live readings still draw.
    }
    if (this.destroyed) return // the view was left while the history loaded
    this.trace.add(fromRows(rows))
    this.seeded = true
    this.trace.add(this.early.flat())
    this.early = []
    this.draw()
  }

  // A `meter_values` event of this session.
  meterValues(event) {
    if (this.destroyed) return
    if (!this.seeded) this.early.push(event.meter_value ?? [])
    else if (this.trace.add(event.meter_value ?? [])) this.draw()
    if (this.transaction.tariff) this.refreshCost()
  }

  async loadCost() {
    if (this.destroyed) return
    try {
      const now = await api(`/transactions/${this.transaction.id}`)
      this.cost.textContent = money(now.cost, now.currency)
    } catch {
      // The figure stays as it was; the next reading tries again.
    }
  }

  size() {
    return { width: Math.max(this.plot.clientWidth, 200), height: HEIGHT }
  }

  draw() {
    const { times, watts, energyWh, power } = this.trace
    this.energy.textContent = kwh(energyWh)
    this.power.textContent = kw(power)
    this.el.dataset.energyWh = energyWh ?? ''
    this.plot.dataset.points = times.length
    const data = [times, watts.map(w => w / 1000)]
    if (this.chart) this.chart.setData(data)
    else this.chart = new window.uPlot(chartOptions(this.size()), data, this.plot)
  }

  destroy() {
    this.destroyed = true
    this.resize?.disconnect()
    this.chart?.destroy()
    this.el.remove()
  }
}

const MIN_SPAN = 60 // seconds the time axis shows at least

function chartOptions({ width, height }) {
  const kilowatts = v => (v === null || v === undefined ? '—' : `${v.toFixed(2)} kW`)
  return {
    width,
    height,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    // At least the last minute: a session's first readings, a second apart, would
    // otherwise stretch over years or milliseconds.
    scales: { x: { time: true, range: (u, min, max) => [Math.min(min, max - MIN_SPAN), max] },
      y: { range: (u, min, max) => [0, Math.max(1, max * 1.15)] } },
    // Times in UTC, as everything else on the page.
    tzDate: ts => window.uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
    series: [
      {},
      { label: 'power', stroke: '#1f8a5b', fill: 'rgba(31, 138, 91, 0.15)', width: 2, value: (u, v) => kilowatts(v) },
    ],
    axes: [
      // HH:MM:SS in UTC, whatever the locale (uPlot's own labels are US-style, 12-hour).
      { values: (u, ticks) => ticks.map(t => new Date(t * 1e3).toISOString().slice(11, 19)) },
      { size: 64, values: (u, ticks) => ticks.map(v => `${+v.toFixed(2)} kW`) },
    ],
  }
}

// The cards in `cards` (transaction id -> card) made to match the `open` transactions:
// a card for each new one, appended to `container`; the cards of closed ones go.
export function syncCards(cards, open, container) {
  const ids = new Set(open.map(t => t.id))
  for (const [id, card] of cards) {
    if (!ids.has(id)) {
      card.destroy()
      cards.delete(id)
    }
  }
  for (const transaction of open) {
    if (cards.has(transaction.id)) continue
    const card = new SessionCard(transaction)
    cards.set(transaction.id, card)
    container.append(card.el)
    card.start()
  }
}
