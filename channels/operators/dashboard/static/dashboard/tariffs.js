// `#/tariffs`: what charging costs; add or change a tariff, assign it to stations, remove it.
import { api } from './api.js'
import { ask } from './dialog.js'
import { h, replace, time } from './dom.js'

export function tariffsView(root) {
  const tbody = h('tbody')
  const problem = h('p', { class: 'problem', role: 'alert' })
  const saved = h('p', { class: 'saved', role: 'status' })
  const failed = error => replace(problem, error.message)
  const name = h('input', { name: 'name', required: true, maxlength: 64, pattern: '[A-Za-z0-9][A-Za-z0-9._\\-]*', placeholder: 'e.g. standard' })
  const currency = h('input', { name: 'currency', required: true, minlength: 3, maxlength: 3, size: 4, placeholder: 'EUR' })
  const price = (field, placeholder) => h('input', { name: field, inputmode: 'decimal', size: 8, placeholder })
  const energy = price('energy_price', '0.30')
  const hourly = price('time_price', '0')
  const fee = price('session_fee', '0')
  const isDefault = h('input', { name: 'default', type: 'checkbox' })
  const form = h('form', { class: 'tariff', onsubmit: save },
    h('label', {}, 'name ', name), h('label', {}, 'currency ', currency),
    h('label', {}, 'per kWh ', energy), h('label', {}, 'per hour ', hourly),
    h('label', {}, 'per session ', fee), h('label', {}, isDefault, ' default'),
    h('button', { class: 'primary' }, 'Save'))
  const station = h('input', { name: 'station', required: true, maxlength: 48, placeholder: 'e.g. CP-1' })
  const chosen = h('select', { name: 'tariff' })
  const assignForm = h('form', { class: 'assign', onsubmit: assign },
    h('label', {}, 'station ', station), h('label', {}, 'tariff ', chosen),
    h('button', {}, 'Assign'))

  replace(root,
    h('section', {}, h('h1', {}, 'Tariffs'),
      h('p', {}, 'Prices include taxes. A station\'s sessions are priced by its own tariff, else by the default; a session keeps the tariff it started under.'),
      h('h2', {}, 'Add or change'), form, h('h2', {}, 'Assign to a station'), assignForm, saved, problem),
    h('section', {},
      h('table', { class: 'tariffs' }, h('thead', {}, h('tr', {},
        ['Name', 'Currency', 'Per kWh', 'Per hour', 'Per session', 'Default', 'Stations', 'Updated', ''].map(t => h('th', {}, t)))), tbody)))

  async function save(event) {
    event.preventDefault()
    replace(problem)
    const body = {
      currency: currency.value.trim().toUpperCase(),
      energy_price: energy.value.trim() || '0',
      time_price: hourly.value.trim() || '0',
      session_fee: fee.value.trim() || '0',
      default: isDefault.checked,
    }
    try {
      await api(`/tariffs/${encodeURIComponent(name.value.trim())}`, { method: 'PUT', body })
      replace(saved, `Saved ${name.value.trim()}.`)
      form.reset()
      await load()
    } catch (error) {
      failed(error)
    }
  }

  async function assign(event) {
    event.preventDefault()
    replace(problem)
    const id = station.value.trim()
    try {
      const body = { tariff: chosen.value }
      await api(`/stations/${encodeURIComponent(id)}/tariff`, { method: 'PUT', body })
      replace(saved, `${id} is priced by ${chosen.value} from its next session.`)
      assignForm.reset()
      await load()
    } catch (error) {
      failed(error)
    }
  }

  async function unassign(tariff, id) {
    replace(problem)
    try {
      await api(`/stations/${encodeURIComponent(id)}/tariff`, { method: 'DELETE' })
      replace(saved, `${id} is priced by the default tariff from its next session.`)
      await load()
    } catch (error) {
      failed(error)
    }
  }

  function edit(item) {
    name.value = item.name
    currency.value = item.currency
    energy.value = item.energy_price
    hourly.value = item.time_price
    fee.value = item.session_fee
    isDefault.checked = item.default
    name.focus()
  }

  async function remove(item) {
    replace(problem)
    if (!(await ask(`Remove tariff ${item.name}? The sessions it priced keep their cost.`, [], 'Remove'))) return
    try {
      await api(`/tariffs/${encodeURIComponent(item.name)}`, { method: 'DELETE' })
      await load()
    } catch (error) {
      failed(error)
    }
  }

  function row(item) {
    const stations = item.stations.map(id => h('span', { class: 'assigned' },
      h('a', { href: `#/stations/${encodeURIComponent(id)}` }, id),
      h('button', { type: 'button', title: `Price ${id} by the default tariff`, onclick: () => unassign(item, id) }, '×')))
    return h('tr', { dataset: { tariff: item.name } },
      h('td', {}, h('code', {}, item.name)),
      h('td', {}, item.currency),
      h('td', { class: 'number' }, item.energy_price),
      h('td', { class: 'number' }, item.time_price),
      h('td', { class: 'number' }, item.session_fee),
      h('td', {}, item.default ? 'default' : ''),
      h('td', {}, stations.length ? stations : '—'),
      h('td', {}, time(item.updated_at)),
      h('td', {}, h('span', { class: 'actions' },
        h('button', { type: 'button', onclick: () => edit(item) }, 'Edit'),
        h('button', { type: 'button', class: 'danger', onclick: () => remove(item) }, 'Remove'))))
  }

  async function load() {
    const items = await api('/tariffs')
    replace(tbody, items.map(row))
    if (!items.length) tbody.append(h('tr', {}, h('td', { colspan: 9, class: 'none' }, 'No tariff yet: sessions are not priced.')))
    replace(chosen, items.map(t => h('option', { value: t.name }, t.name)))
  }

  load().catch(failed)
  return () => {}
}
