// A station's firmware: an update sent in its version (POST /stations/{id}/firmware: 1.6
// UpdateFirmware, or SignedUpdateFirmware when signed; 2.x UpdateFirmware), a 2.x local
// controller's publication and its end (POST .../firmware/publish, .../firmware/unpublish),
// and the updates and publications listed with what the station said of them
// (GET /firmware-updates).
import { api, ApiError } from './api.js'
import { entry, settle } from './commands.js'
import { h, replace, time, utcInstant } from './dom.js'
import { operate } from './operate.js'
import { table } from './results.js'

const SHOWN = 20
const LOOK_EVERY = 2000 // ms, while an update is open
const LOOKS = 90 // then the Refresh button

export function firmwarePanel(stationId, version) {
  let alive = true
  let timer = null
  const v2 = version !== null && version !== '1.6'
  const station = `/stations/${encodeURIComponent(stationId)}`
  const problem = h('p', { class: 'problem', role: 'alert' })
  const listed = h('div')

  const file = h('input', { name: 'file_name', required: true, placeholder: 'a file of --firmware-dir', maxlength: 255 })
  const retrieve = h('input', { name: 'retrieve_date', type: 'datetime-local' })
  const install = h('input', { name: 'install_date', type: 'datetime-local' })
  const retries = h('input', { name: 'retries', type: 'number', min: 0, class: 'narrow' })
  const interval = h('input', { name: 'retry_interval', type: 'number', min: 0, class: 'narrow' })
  const certificate = h('textarea', { name: 'signing_certificate', rows: 3, placeholder: '-----BEGIN CERTIFICATE-----' })
  const signature = h('input', { name: 'signature', placeholder: 'base64' })
  const update = h('form', { class: 'op firmware', onsubmit: sendUpdate },
    h('label', {}, 'file', file), h('label', {}, 'download at, UTC (empty: now)', retrieve),
    h('label', {}, 'install at, UTC', install),
    h('label', {}, 'retries', retries), h('label', {}, 'retry interval (s)', interval),
    h('details', { class: 'signed' }, h('summary', {}, 'Signed firmware'),
      h('label', {}, 'signing certificate (PEM)', certificate), h('label', {}, 'signature', signature)),
    h('button', { class: 'primary', title: v2 ? 'UpdateFirmware' : 'UpdateFirmware / SignedUpdateFirmware' }, 'Update firmware'),
    h('button', { type: 'button', onclick: () => load() }, 'Refresh'))

  // A local controller (2.x) publishes firmware to the stations behind it.
  const published = h('input', { name: 'publish_file', placeholder: 'a file of --firmware-dir', maxlength: 255 })
  const checksum = h('input', { name: 'checksum', placeholder: 'MD5, 32 hex digits', pattern: '[0-9a-fA-F]{32}' })
  const publishing = v2
    ? h('form', { class: 'op publish', onsubmit: event => { event.preventDefault(); publish() } },
      h('label', {}, 'publish file', published),
      h('button', { type: 'submit', title: 'PublishFirmware' }, 'Publish'),
      h('label', {}, 'or stop publishing checksum', checksum),
      h('button', { type: 'button', title: 'UnpublishFirmware', onclick: unpublish }, 'Unpublish'))
    : null
  const element = h('div', {}, update, publishing, problem, listed)

  const number = input => input.value === '' ? undefined : Number(input.value)
  const text = input => input.value.trim() || undefined

  async function sendUpdate(event) {
    event.preventDefault()
    const body = {
      file_name: file.value.trim(), retrieve_date: utcInstant(retrieve), install_date: utcInstant(install),
      retries: number(retries), retry_interval: number(interval),
      signing_certificate: text(certificate), signature: text(signature),
    }
    const signed = body.signing_certificate !== undefined
    await follow(v2 || !signed ? 'UpdateFirmware' : 'SignedUpdateFirmware', `${station}/firmware`, body)
  }

  async function publish() {
    if (!published.value.trim()) return replace(problem, 'Name the file to publish.')
    await follow('PublishFirmware', `${station}/firmware/publish`, { file_name: published.value.trim() })
  }

  async function unpublish() {
    const body = checksum.value.trim() ? { checksum: checksum.value.trim() } : { file_name: published.value.trim() }
    if (!body.checksum && !body.file_name) return replace(problem, 'Give the checksum, or the file, to unpublish.')
    await operate(stationId, 'UnpublishFirmware', 'firmware/unpublish', body, problem)
    await load()
  }

  // An update or publication: its record made, its request followed to the answer.
  async function follow(label, path, body) {
    replace(problem)
    const show = entry(stationId, label)
    try {
      const made = await api(path, { method: 'POST', body })
      show('sent', `update ${made.id}`)
      await load()
      const record = await settle(made.command_id)
      show(record.status, record.response ? JSON.stringify(record.response) : record.error_code ?? '')
    } catch (error) {
      show(error instanceof ApiError ? `refused (${error.status})` : 'failed', error.message)
      replace(problem, error.message)
    }
    await load()
  }

  async function load(looks = LOOKS) {
    clearTimeout(timer)
    try {
      const page = await api('/firmware-updates', { query: { station_id: stationId, limit: SHOWN } })
      if (!alive) return
      replace(listed, updatesTable(page.items))
      // Open ones move on as the station reports: looked at again for a while.
      if (looks > 0 && page.items.some(u => u.state === 'open')) {
        timer = setTimeout(() => load(looks - 1), LOOK_EVERY)
      }
    } catch (error) {
      replace(problem, error.message)
    }
  }

  load()
  return { element, destroy: () => { alive = false; clearTimeout(timer) } }
}

function updatesTable(items) {
  const rows = items.map(u => ({
    dataset: { update: u.id, state: u.state, action: u.action },
    cells: [u.id, u.action, h('code', {}, u.file_name), u.status,
      h('span', { class: `chip log-${u.state}` }, u.state), u.signed ? 'yes' : 'no',
      u.checksum ? h('code', {}, u.checksum) : '—', time(u.retrieve_date),
      u.install_date ? time(u.install_date) : '—', u.downloaded_at ? time(u.downloaded_at) : '—'],
  }))
  return table('firmware', ['Update', 'Request', 'File', 'Status', 'State', 'Signed', 'Checksum',
    'Download at', 'Install at', 'Downloaded'], rows, 'No firmware sent yet.')
}
