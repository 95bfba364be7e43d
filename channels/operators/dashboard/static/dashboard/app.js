// The dashboard: login, the views by URL hash, and the live connection to /cable.
import * as alerts from './alerts.js'
import { api, ApiError, onUnauthorized, setBase, token } from './api.js'
import { h, replace } from './dom.js'
import { energyView } from './energy.js'
import { idTagsView } from './idtags.js'
import * as live from './live.js'
import { reservationsView } from './reservations.js'
import { stationView } from './station.js'
import { stationsView } from './stations.js'
import { tariffsView } from './tariffs.js'
import { tokensView } from './tokens.js'
import { transactionsView } from './transactions.js'

const $ = id => document.getElementById(id)
let config = null
let me = null // the token logged in with: {name, scope}
let leave = null // the current view's clean-up: its subscriptions and charts

function show(loggedIn) {
  $('login').hidden = loggedIn
  $('app').hidden = !loggedIn
  $('nav').hidden = !loggedIn
  $('nav-tokens').hidden = me?.scope !== 'admin' // the API refuses the others (403)
}

function logout(message = '') {
  leave?.()
  leave = null
  alerts.stop()
  live.disconnect()
  token.clear()
  me = null
  replace($('view'))
  $('commands').querySelector('ol').replaceChildren()
  $('commands').hidden = true
  replace($('login-message'), message)
  show(false)
  $('token').focus()
}

async function enter() {
  try {
    me = await api('/me') // proves the token before anything is shown, and says its scope
  } catch (error) {
    // A refused token already sent us back to the form; anything else is said there.
    if (!(error instanceof ApiError && error.status === 401)) {
      logout(`The API cannot be reached: ${error.message}`)
    }
    return
  }
  live.connect(config.cable_url, token.get())
  alerts.start()
  show(true)
  route()
}

function route() {
  if (!token.get()) return
  leave?.()
  const hash = location.hash || '#/'
  const view = $('view')
  const station = hash.match(/^#\/stations\/(.+)$/)
  if (hash === '#/') leave = stationsView(view)
  else if (station) leave = stationView(view, decodeURIComponent(station[1]))
  else if (hash === '#/id-tags') leave = idTagsView(view)
  else if (hash === '#/reservations') leave = reservationsView(view)
  else if (hash === '#/tariffs') leave = tariffsView(view)
  else if (hash === '#/transactions') leave = transactionsView(view)
  else if (hash === '#/energy') leave = energyView(view)
  else if (hash === '#/alerts') leave = alerts.alertsView(view)
  else if (hash === '#/tokens' && me?.scope === 'admin') leave = tokensView(view, me)
  else {
    replace(view, h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/' }, 'Stations')))
    leave = null
  }
  for (const link of document.querySelectorAll('#nav a')) {
    link.classList.toggle('active', link.getAttribute('href') === (station ? '#/' : hash))
  }
}

async function start() {
  try {
    const response = await fetch('/dashboard/config.json')
    if (!response.ok) throw new Error(`HTTP ${response.status}`)
    config = await response.json()
  } catch (error) {
    show(false)
    replace($('login-message'), `The dashboard's settings cannot be read: ${error.message}`)
    return
  }
  setBase(config.api)
  onUnauthorized(message => logout(`Not logged in: ${message}`))
  alerts.badge($('alerts-count'))
  live.onState(state => {
    $('live').dataset.state = state
    $('live').textContent = `live: ${state}`
  })
  $('login-form').addEventListener('submit', event => {
    event.preventDefault()
    token.set($('token').value.trim())
    $('token').value = ''
    enter()
  })
  $('logout').addEventListener('click', () => logout('Logged out.'))
  $('commands-close').addEventListener('click', () => { $('commands').hidden = true })
  window.addEventListener('hashchange', route)
  if (token.get()) enter()
  else logout()
}

start()
