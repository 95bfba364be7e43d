// The fields naming a 2.x station's variable (its component, the component's instance, EVSE
// and connector, the variable, its instance, the attribute), and how the API writes one:
// Component[instance]@evse:connector.Variable[instance]/AttributeType.
import { h } from './dom.js'

export const ATTRIBUTES = ['Actual', 'Target', 'MinSet', 'MaxSet']

// `attribute`: with the attribute type (reading and writing; a monitor or a report has none);
// `variable`: 'required', 'optional' (a report may name a component alone) or false.
export function variableFields({ attribute = true, variable = 'required' } = {}) {
  const input = (name, label, attrs = {}) => [label, h('input', { name, maxlength: 50, ...attrs })]
  const parts = [
    input('component', 'component', { required: true, size: 16, placeholder: 'e.g. OCPPCommCtrlr' }),
    input('component_instance', 'instance', { size: 6 }),
    input('evse', 'EVSE', { type: 'number', min: 0, max: 999999999, class: 'narrow' }),
    input('connector', 'connector', { type: 'number', min: 0, max: 999999999, class: 'narrow' }),
  ]
  if (variable) {
    parts.push(
      input('variable', 'variable', { required: variable === 'required', size: 18, placeholder: 'e.g. HeartbeatInterval' }),
      input('variable_instance', 'instance', { size: 6 }))
  }
  if (attribute) {
    parts.push(['attribute', h('select', { name: 'attribute' }, ATTRIBUTES.map(a => h('option', {}, a)))])
  }
  const fields = Object.fromEntries(parts.map(([, el]) => [el.name, el]))
  const labels = parts.map(([label, el]) => h('label', {}, label, el))
  const value = name => fields[name]?.value.trim() ?? ''

  return {
    labels,
    // Whether any variable is named (its component, at least).
    named: () => value('component') !== '',
    // The variable the fields name, as the API writes it; throws what is missing.
    notation() {
      const evse = value('evse')
      const connector = value('connector')
      if (connector && !evse) throw new Error('a connector is named with its EVSE')
      let text = value('component')
      if (value('component_instance')) text += `[${value('component_instance')}]`
      if (evse) text += `@${evse}${connector ? `:${connector}` : ''}`
      if (value('variable')) {
        text += `.${value('variable')}`
        if (value('variable_instance')) text += `[${value('variable_instance')}]`
        // Actual is what a station takes when none is named: the API's notation leaves it out.
        if (fields.attribute && value('attribute') !== 'Actual') text += `/${value('attribute')}`
      } else if (fields.attribute && value('attribute') !== 'Actual') {
        throw new Error('an attribute is named with its variable')
      }
      return text
    },
    clear() {
      for (const field of Object.values(fields)) field.value = field.tagName === 'SELECT' ? field.options[0].value : ''
    },
    // Fills the fields from a variable the station reported (GET .../variables).
    fill(row) {
      const set = (name, v) => { if (fields[name]) fields[name].value = v ?? '' }
      set('component', row.component)
      set('component_instance', row.component_instance)
      set('evse', row.evse_id)
      set('connector', row.connector_id)
      set('variable', row.variable)
      set('variable_instance', row.variable_instance)
      set('attribute', ATTRIBUTES.includes(row.attribute_type) ? row.attribute_type : 'Actual')
      fields.component.focus()
    },
  }
}

// The variable an OCPP entry names (a result, a monitor: {component, variable,
// attributeType}), written as the fields would; `attribute` false leaves its type out.
export function named(entry, attribute = true) {
  const component = entry?.component ?? {}
  const variable = entry?.variable ?? {}
  let text = String(component.name ?? '?')
  if (component.instance != null) text += `[${component.instance}]`
  if (component.evse?.id != null) {
    text += `@${component.evse.id}${component.evse.connectorId != null ? `:${component.evse.connectorId}` : ''}`
  }
  if (variable.name != null) {
    text += `.${variable.name}`
    if (variable.instance != null) text += `[${variable.instance}]`
  }
  if (attribute && entry?.attributeType && entry.attributeType !== 'Actual') text += `/${entry.attributeType}`
  return text
}

// A stored variable (GET .../variables) written the same way.
export function rowNamed(row) {
  return named({
    component: { name: row.component, instance: row.component_instance,
      evse: row.evse_id == null ? undefined : { id: row.evse_id, connectorId: row.connector_id } },
    variable: { name: row.variable, instance: row.variable_instance },
  }, false)
}
