// Power and energy of a session from OCPP 1.6 MeterValue lists
// ([{timestamp, sampledValue: [{value, measurand?, unit?, phase?, location?}]}]).

const ENERGY = 'Energy.Active.Import.Register' // what a sampled value without a measurand is
const POWER = 'Power.Active.Import'
const MAX_POINTS = 720 // an hour at one point each 5 s; older points scroll away

// W or Wh: kW and kWh are scaled, a value without a unit is in the measurand's base unit.
function inBaseUnit(sample) {
  const value = Number(sample.value)
  if (sample.value === '' || !Number.isFinite(value)) return null
  return (sample.unit ?? '').startsWith('k') ? value * 1000 : value
}

// The measurand's value for the whole connector: the value without a phase, else the
// sum of the phases; null when the MeterValue has none that reads as a number.
export function total(sampledValues, measurand) {
  const matching = sampledValues.filter(
    s => (s.measurand ?? ENERGY) === measurand && s.location !== 'EV',
  )
  const whole = matching.filter(s => !s.phase)
  const parts = whole.length ? whole.slice(0, 1) : matching.filter(s => /^L[123](-N)?$/.test(s.phase))
  if (!parts.length) return null
  const values = parts.map(inBaseUnit)
  return values.includes(null) ? null : values.reduce((a, b) => a + b, 0)
}

// Meter values as the API lists them (one row per sampled value), as MeterValue lists.
export function fromRows(rows) {
  const byTime = new Map()
  for (const row of rows) {
    if (!byTime.has(row.timestamp)) byTime.set(row.timestamp, [])
    byTime.get(row.timestamp).push(row)
  }
  return [...byTime].map(([timestamp, sampledValue]) => ({ timestamp, sampledValue }))
}

// A session's power over time (W, for the chart) and energy so far (Wh, for the counter).
export class PowerTrace {
  constructor(meterStart, startTime) {
    this.meterStart = meterStart
    this.times = [] // unix seconds
    this.watts = []
    this.energyWh = meterStart === null || meterStart === undefined ? null : 0
    // {t, wh}: the reading power is derived from when none is sent; the session's start
    // is the first, so the first reading already gives a power.
    const t = Date.parse(startTime) / 1000
    this.lastEnergy = Number.isFinite(t) && this.energyWh !== null ? { t, wh: meterStart } : null
  }

  get power() {
    return this.watts.length ? this.watts[this.watts.length - 1] : null
  }

  // Adds readings newer than those held; returns whether anything changed.
  add(meterValues) {
    let changed = false
    const readings = meterValues
      .map(mv => ({ t: Date.parse(mv.timestamp) / 1000, samples: mv.sampledValue ?? [] }))
      .filter(r => Number.isFinite(r.t))
      .sort((a, b) => a.t - b.t)
    for (const { t, samples } of readings) {
      const energy = total(samples, ENERGY)
      let power = total(samples, POWER)
      if (energy !== null && (!this.lastEnergy || t > this.lastEnergy.t)) {
        if (power === null && this.lastEnergy) {
          power = Math.max(0, ((energy - this.lastEnergy.wh) * 3600) / (t - this.lastEnergy.t))
        }
        this.lastEnergy = { t, wh: energy }
        this.energyWh = energy - (this.meterStart ?? energy)
        changed = true
      }
      if (power !== null && (!this.times.length || t > this.times[this.times.length - 1])) {
        this.times.push(t)
        this.watts.push(power)
        changed = true
      }
    }
    if (this.times.length > MAX_POINTS) {
      this.times.splice(0, this.times.length - MAX_POINTS)
      this.watts.splice(0, this.watts.length - MAX_POINTS)
    }
    return changed
  }
}
