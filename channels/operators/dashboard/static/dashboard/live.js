// The live streams of /cable, through the official Action Cable client.
import { createConsumer } from '/static/vendor/@rails/actioncable/actioncable.esm.js'

let consumer = null
let stateListener = () => {}

// `fn(state)` hears 'connected', 'reconnecting', 'stopped' (no retry: refused or logged out)
// or 'refused' (a subscription was not taken).
export function onState(fn) {
  stateListener = fn
}

export function connect(cableUrl, token) {
  disconnect()
  const url = new URL(cableUrl)
  url.searchParams.set('token', token)
  consumer = createConsumer(url.toString())
}

export function disconnect() {
  consumer?.disconnect()
  consumer = null
  network = null
  networkListeners.clear()
}

function subscribe(identifier, onMessage) {
  if (!consumer) return { unsubscribe() {} }
  return consumer.subscriptions.create(identifier, {
    connected: () => stateListener('connected'),
    disconnected: ({ willAttemptReconnect } = {}) =>
      stateListener(willAttemptReconnect ? 'reconnecting' : 'stopped'),
    rejected: () => stateListener('refused'),
    received: onMessage,
  })
}

// What changed in the network, once a second: `fn({stations: {id: {...}}, at})`. The
// views and the alerts' count share one subscription: /cable takes an identifier once.
const networkListeners = new Set()
let network = null

export function watchNetwork(fn) {
  networkListeners.add(fn)
  if (!network && consumer) {
    network = subscribe({ channel: 'StationsChannel' }, message => {
      for (const listener of [...networkListeners]) listener(message)
    })
  }
  return {
    unsubscribe() {
      networkListeners.delete(fn)
      if (!networkListeners.size && network) {
        network.unsubscribe()
        network = null
      }
    },
  }
}

// One station's events as they happen: `fn(event)` for each.
export function watchStation(stationId, fn) {
  return subscribe({ channel: 'StationChannel', station_id: stationId }, message => {
    for (const event of message.events ?? []) fn(event)
  })
}

// Subscriptions to the stations of `ids`, kept in line as the set changes.
export class StationWatch {
  constructor(fn) {
    this.fn = fn
    this.subscriptions = new Map()
    this.closed = false
  }

  set(ids) {
    // A view's late answer from the API must not subscribe again once the view is left.
    const wanted = new Set(this.closed ? [] : ids)
    for (const [id, subscription] of this.subscriptions) {
      if (!wanted.has(id)) {
        subscription.unsubscribe()
        this.subscriptions.delete(id)
      }
    }
    for (const id of wanted) {
      if (!this.subscriptions.has(id)) this.subscriptions.set(id, watchStation(id, this.fn))
    }
  }

  close() {
    this.closed = true
    this.set([])
  }
}
