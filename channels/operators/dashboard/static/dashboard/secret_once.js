// A secret the server keeps only a hash of (a station's password, a token), shown once:
// with Copy, until the operator says it is kept (Done), or leaves the page; then it is
// gone from the page for good.
import { h, replace } from './dom.js'

// `said`: what the secret is and where it goes; `kind`: the class of its <code>.
export function secretOnce(said, secret, kind = 'password') {
  const note = h('span', { class: 'note', role: 'status' })
  const code = h('code', { class: kind }, secret)
  const box = h('div', { class: 'secret', role: 'alert' },
    h('p', {}, said),
    h('p', {}, code, ' ',
      h('button', { type: 'button', class: 'copy', onclick: copy }, 'Copy'), ' ',
      h('button', { type: 'button', class: 'done', onclick: () => box.remove() }, 'Done'), ' ', note))

  async function copy() {
    try {
      await navigator.clipboard.writeText(secret)
      replace(note, 'Copied.')
    } catch {
      // No clipboard (a page not served over HTTPS, a refused permission): selected instead.
      getSelection().selectAllChildren(code)
      replace(note, 'Selected: copy it with Ctrl+C.')
    }
  }
  return box
}
