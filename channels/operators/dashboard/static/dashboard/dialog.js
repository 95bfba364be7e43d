// Small forms in a modal <dialog>: what a command needs (an idTag, a connector), or a yes.
import { h, replace } from './dom.js'

function field(spec) {
  const common = { name: spec.name, required: spec.required, id: `field-${spec.name}` }
  if (spec.type === 'select') {
    return h('select', common,
      spec.options.map(option => h('option', { selected: option === spec.value }, option)))
  }
  return h('input', {
    ...common,
    type: spec.type ?? 'text',
    value: spec.value,
    min: spec.min,
    maxlength: spec.maxlength,
    placeholder: spec.placeholder,
  })
}

// Resolves to {name: value} (numbers for number fields, empty ones left out), or null.
// `note`: what the operator should know before saying yes.
export function ask(title, fields = [], submit = 'Send', note = null) {
  const dialog = document.getElementById('dialog')
  const inputs = fields.map(spec => [spec, field(spec)])
  const form = h('form', { method: 'dialog' },
    h('h2', {}, title),
    note ? h('p', { class: 'note' }, note) : null,
    inputs.map(([spec, input]) => h('label', { for: input.id }, h('span', {}, spec.label), input)),
    h('menu', {},
      h('button', { value: 'cancel', formnovalidate: true }, 'Cancel'),
      h('button', { value: 'ok', class: 'primary' }, submit)))
  replace(dialog, form)
  dialog.returnValue = ''
  return new Promise(resolve => {
    dialog.addEventListener('close', () => {
      if (dialog.returnValue !== 'ok') return resolve(null)
      const values = {}
      for (const [spec, input] of inputs) {
        if (input.value === '') continue
        values[spec.name] = spec.type === 'number' ? Number(input.value) : input.value
      }
      resolve(values)
    }, { once: true })
    dialog.showModal()
    ;(inputs[0]?.[1] ?? form.querySelector('button.primary')).focus()
  })
}
