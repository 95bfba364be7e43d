// A browser's view of ocpp-cable, through the official AnyCable client (@anycable/core).
// Usage: node client.mjs <cable url> <channel> <params JSON>
// Prints one JSON line per event: connect, subscribed, rejected, message, disconnect;
// performs `speak` once subscribed, and leaves after a message {"text": "bye"}.
import { createCable } from '@anycable/core'
import WebSocket from 'ws'

const [url, channelName, params] = process.argv.slice(2)
const say = event => process.stdout.write(JSON.stringify(event) + '\n')
// Exit once the line is written: process.exit alone may cut a pipe's output short.
const sayAndExit = event => process.stdout.write(JSON.stringify(event) + '\n', () => process.exit(0))

const cable = createCable(url, {
  websocketImplementation: WebSocket,
  protocol: 'actioncable-v1-json',
  maxReconnectAttempts: 0,
  logLevel: 'error'
})
cable.on('connect', () => say({ event: 'connect' }))
// A disconnect the server asks not to retry (unauthorized) closes the cable for good.
for (const name of ['disconnect', 'close']) {
  cable.on(name, ev => {
    const event = { event: 'disconnect', reason: ev && ev.reason }
    if (ev && ev.reason === 'unauthorized') sayAndExit(event)
    else say(event)
  })
}

const channel = cable.subscribeTo(channelName, JSON.parse(params))
channel.on('message', message => {
  if (message && message.text === 'bye') {
    cable.disconnect()
    sayAndExit({ event: 'message', message })
  } else {
    say({ event: 'message', message })
  }
})
try {
  await channel.ensureSubscribed()
  say({ event: 'subscribed', identifier: channel.identifier })
  await channel.perform('speak', { text: 'hello from node' })
} catch (err) {
  sayAndExit({ event: 'rejected', error: String(err && err.name) })
}
