// `#/id-tags`: the idTags stations may charge with; add, change, block, delete; those
// listed filtered by part of the tag and by status.
import { api } from './api.js'
import { ask } from './dialog.js'
import { h, replace, time, utcInput, utcInstant } from './dom.js'

const PAGE = 100
const STATUSES = ['Accepted', 'Blocked', 'Expired', 'Invalid']

export function idTagsView(root) {
  const tbody = h('tbody')
  const problem = h('p', { class: 'problem', role: 'alert' })
  const saved = h('p', { class: 'saved', role: 'status' })
  const failed = error => replace(problem, error.message)
  const more = h('button', { type: 'button', hidden: true, onclick: () => load(tbody.rows.length).catch(failed) }, 'More')
  const tag = h('input', { name: 'tag', required: true, maxlength: 255, placeholder: 'e.g. 04A1B2C3' })
  const status = h('select', { name: 'status' }, STATUSES.map(s => h('option', {}, s)))
  const expiry = h('input', { name: 'expiry_date', type: 'datetime-local' })
  const parent = h('input', { name: 'parent_id_tag', maxlength: 255 })
  const form = h('form', { class: 'idtag', onsubmit: save },
    h('label', {}, 'idTag ', tag), h('label', {}, 'status ', status),
    h('label', {}, 'expiry, UTC ', expiry), h('label', {}, 'parent ', parent),
    h('button', { class: 'primary' }, 'Save'))
  let filter = {}
  const q = h('input', { type: 'search', name: 'q', maxlength: 255, placeholder: 'idTag contains…' })
  const only = h('select', { name: 'status' }, h('option', { value: '' }, 'any status'), STATUSES.map(s => h('option', {}, s)))
  const filterForm = h('form', { class: 'filter idtag-filter', onsubmit: event => {
    event.preventDefault()
    filter = { q: q.value.trim(), status: only.value }
    load(0).catch(failed)
  } }, q, only, h('button', {}, 'Filter'))

  replace(root,
    h('section', {}, h('h1', {}, 'idTags'), h('h2', {}, 'Add or change'), form, saved, problem),
    h('section', {}, filterForm,
      h('table', { class: 'idtags' }, h('thead', {}, h('tr', {},
        ['idTag', 'Status', 'Expiry', 'Parent', 'Created', ''].map(t => h('th', {}, t)))), tbody),
      more))

  async function save(event) {
    event.preventDefault()
    replace(problem)
    const body = {
      status: status.value,
      expiry_date: utcInstant(expiry) ?? null,
      parent_id_tag: parent.value.trim() || null,
    }
    try {
      await api(`/id-tags/${encodeURIComponent(tag.value.trim())}`, { method: 'PUT', body })
      replace(saved, `Saved ${tag.value.trim()}.`)
      form.reset()
      await load(0)
    } catch (error) {
      failed(error)
    }
  }

  function edit(item) {
    tag.value = item.tag
    status.value = item.status
    expiry.value = utcInput(item.expiry_date)
    parent.value = item.parent_id_tag ?? ''
    tag.focus()
  }

  async function act(item, what) {
    replace(problem)
    try {
      if (what === 'block') {
        await api(`/id-tags/${encodeURIComponent(item.tag)}/block`, { method: 'POST' })
      } else {
        const note = 'Stations then refuse it (Invalid); its transactions stay.'
        if (!(await ask(`Delete idTag ${item.tag}?`, [], 'Delete', note))) return
        await api(`/id-tags/${encodeURIComponent(item.tag)}`, { method: 'DELETE' })
      }
      await load(0)
    } catch (error) {
      failed(error)
    }
  }

  function row(item) {
    return h('tr', { dataset: { tag: item.tag, status: item.status } },
      h('td', {}, h('code', {}, item.tag)),
      h('td', {}, h('span', { class: `chip tag-${item.status}` }, item.status)),
      h('td', {}, time(item.expiry_date)),
      h('td', {}, item.parent_id_tag ? h('code', {}, item.parent_id_tag) : '—'),
      h('td', {}, time(item.created_at)),
      h('td', {}, h('span', { class: 'actions' },
        h('button', { type: 'button', onclick: () => edit(item) }, 'Edit'),
        h('button', { type: 'button', disabled: item.status === 'Blocked', onclick: () => act(item, 'block') }, 'Block'),
        h('button', { type: 'button', class: 'danger', onclick: () => act(item, 'delete') }, 'Delete'))))
  }

  async function load(offset) {
    const page = await api('/id-tags', { query: { ...filter, limit: PAGE, offset } })
    if (offset === 0) tbody.replaceChildren()
    tbody.append(...page.items.map(row))
    more.hidden = tbody.rows.length >= page.total
    const none = filter.q || filter.status ? 'No idTag matches.' : 'No idTag yet.'
    if (!page.total) tbody.append(h('tr', {}, h('td', { colspan: 6, class: 'none' }, none)))
  }

  load(0).catch(failed)
  return () => {}
}
