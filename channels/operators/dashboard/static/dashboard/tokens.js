// `#/tokens`, for an admin token only: people's tokens (GET /tokens), one added (POST: the
// token shown once, as a station's password made here is), one revoked once the operator
// confirmed (DELETE). The token this page is logged in with cannot revoke itself: the API
// refuses it (409), so its row has no working Revoke.
import { api, list } from './api.js'
import { ask } from './dialog.js'
import { h, replace, time } from './dom.js'
import { secretOnce } from './secret_once.js'
import { sortable } from './sortable.js'

const SCOPES = {
  read: 'read: watch and read',
  write: 'write: also change data and command stations',
  admin: 'admin: also manage tokens',
}
const MAX_NAME = 64

export function tokensView(root, me) {
  const tbody = h('tbody')
  const problem = h('p', { class: 'problem', role: 'alert' })
  const saved = h('p', { class: 'saved', role: 'status' })
  const shown = h('div')
  const failed = error => replace(problem, error.message)
  // As the API takes a name: no '/' or '\' (it names the CLI's token file, and a path).
  const name = h('input', { name: 'name', required: true, maxlength: MAX_NAME, pattern: '[^\\/\\\\]+', placeholder: 'e.g. ada' })
  const scope = h('select', { name: 'scope' },
    Object.entries(SCOPES).map(([value, label]) => h('option', { value }, label)))
  const form = h('form', { class: 'token', onsubmit: add },
    h('label', {}, 'name ', name), h('label', {}, 'scope ', scope),
    h('button', { class: 'primary' }, 'Add token'))

  replace(root,
    h('section', {}, h('h1', {}, 'Tokens'),
      h('p', {}, 'Who may use this dashboard, the HTTP API and the live streams. A token is ',
        'shown once, when it is made: only its SHA-256 is kept.'),
      h('h2', {}, 'Add'), form, shown, saved, problem),
    h('section', {},
      sortable(h('table', { class: 'tokens' }, h('thead', {}, h('tr', {},
        ['Name', 'Scope', 'Created', 'Revoked'].map(t => h('th', {}, t)),
        h('th', { dataset: { sortable: 'false' } }))), tbody))))

  async function add(event) {
    event.preventDefault()
    replace(problem)
    replace(saved)
    replace(shown)
    const body = { name: name.value.trim(), scope: scope.value }
    try {
      const made = await api('/tokens', { method: 'POST', body })
      form.reset()
      replace(shown, secretOnce(['The token ', h('b', { class: 'id' }, made.name), ` (${made.scope}), `,
        h('strong', {}, 'shown only now'), ': copy it and give it to its holder; it will not be shown again.'],
      made.token, 'token'))
      await load()
    } catch (error) {
      failed(error)
    }
  }

  async function revoke(item) {
    replace(problem)
    replace(saved)
    const note = 'It is refused from its next request on, and its browsers watching live are ' +
      'closed at once. A new token may take its name later.'
    if (!(await ask(`Revoke token ${item.name}?`, [], 'Revoke', note))) return
    try {
      await api(`/tokens/${encodeURIComponent(item.name)}`, { method: 'DELETE' })
      replace(saved, `Revoked ${item.name}.`)
      await load()
    } catch (error) {
      failed(error)
    }
  }

  function row(item) {
    const own = item.name === me.name
    const revokeButton = h('button', {
      type: 'button',
      class: 'danger revoke',
      disabled: own,
      title: own ? 'This page is logged in with it: revoke it with another admin token, or ocpp-cable tokens revoke' : null,
      onclick: () => revoke(item),
    }, 'Revoke')
    return h('tr', { dataset: { token: item.name, revoked: Boolean(item.revoked_at) } },
      h('td', {}, h('code', {}, item.name), own ? [' ', h('span', { class: 'chip own' }, 'this page')] : null),
      h('td', {}, h('span', { class: `chip scope-${item.scope}` }, item.scope)),
      h('td', { dataset: { sort: item.created_at } }, time(item.created_at)),
      h('td', { dataset: { sort: item.revoked_at ?? '' } }, time(item.revoked_at)),
      h('td', {}, item.revoked_at ? null : revokeButton))
  }

  async function load() {
    replace(tbody, (await list('/tokens', {}, { limit: 500, max: 10_000 })).map(row))
  }

  load().catch(failed)
  return () => {}
}
