// What a 2.x station keeps of one customer (CustomerInformation): reported, cleared, or
// both; the customer named by an idToken, an identifier of the operator's, or a
// certificate's hash. The report that follows (NotifyCustomerInformation) is shown as sent.
import { h, replace } from './dom.js'
import { operate } from './operate.js'
import { acceptedRequests, reportParts } from './reports.js'

const TOKEN_TYPES = ['ISO14443', 'ISO15693', 'Central', 'eMAID', 'KeyCode', 'Local', 'MacAddress', 'NoAuthorization']
const HASHES = ['SHA256', 'SHA384', 'SHA512']
const BY = { token: 'idToken', identifier: 'customer identifier', certificate: 'certificate' }

export function customerPanel(stationId) {
  let alive = true
  const problem = h('p', { class: 'problem', role: 'alert' })
  const said = h('p', { class: 'saved', role: 'status' })
  const data = h('pre', { class: 'customer-data' })
  const input = (name, attrs = {}) => h('input', { name, maxlength: 128, ...attrs })
  const by = h('select', { name: 'by', onchange: showBy }, Object.entries(BY).map(([value, label]) => h('option', { value }, label)))
  const groups = {
    token: [h('label', {}, 'idToken', input('id_token', { maxlength: 255 })),
      h('label', {}, 'type', h('select', { name: 'type' }, TOKEN_TYPES.map(t => h('option', {}, t))))],
    identifier: [h('label', {}, 'identifier', input('customer_identifier', { maxlength: 64 }))],
    certificate: [
      h('label', {}, 'hash', h('select', { name: 'hash_algorithm' }, HASHES.map(a => h('option', {}, a)))),
      h('label', {}, 'issuer name hash', input('issuer_name_hash')),
      h('label', {}, 'issuer key hash', input('issuer_key_hash')),
      h('label', {}, 'serial number', input('serial_number', { maxlength: 40 }))],
  }
  const report = h('input', { name: 'report', type: 'checkbox', checked: true })
  const clear = h('input', { name: 'clear', type: 'checkbox' })
  const form = h('form', { class: 'op customer', onsubmit: send },
    h('label', {}, 'customer by', by), Object.values(groups),
    h('label', { class: 'check' }, report, ' report what it keeps'),
    h('label', { class: 'check' }, clear, ' clear it'),
    h('button', { class: 'primary', title: 'CustomerInformation' }, 'Send'))
  const element = h('div', {}, form, problem, said, data)

  function showBy() {
    for (const [key, labels] of Object.entries(groups)) {
      for (const label of labels) {
        label.hidden = key !== by.value
        const field = label.querySelector('input')
        if (field) field.required = key === by.value
      }
    }
  }

  const value = name => form.elements[name].value.trim()

  async function send(event) {
    event.preventDefault()
    replace(said)
    replace(data)
    if (!report.checked && !clear.checked) {
      replace(problem, 'report, clear, or both')
      return
    }
    const body = { report: report.checked, clear: clear.checked }
    if (by.value === 'token') body.id_token = { id_token: value('id_token'), type: value('type') }
    else if (by.value === 'identifier') body.customer_identifier = value('customer_identifier')
    else {
      body.customer_certificate = Object.fromEntries(
        ['hash_algorithm', 'issuer_name_hash', 'issuer_key_hash', 'serial_number'].map(name => [name, value(name)]))
    }
    const records = await operate(stationId, 'CustomerInformation', 'customer-information', body, problem)
    if (!records) return
    const [request] = acceptedRequests(records)
    if (request === undefined) {
      replace(said, `The station said ${records.map(r => r.response?.status ?? r.status).join(', ')}.`)
      return
    }
    replace(said, 'Waiting for the station\'s report…')
    const got = await reportParts(stationId, 'NotifyCustomerInformation', request, () => alive)
    if (got.problem) replace(problem, got.problem)
    replace(said, got.complete ? 'The station reported:' : 'The station\'s report is not all in yet; so far:')
    replace(data, got.parts.map(part => part.data ?? '').join(''))
  }

  showBy()
  return { element, destroy: () => { alive = false } }
}
