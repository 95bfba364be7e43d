// What a station sends after answering a request (NotifyReport, NotifyMonitoringReport,
// NotifyCustomerInformation, NotifyDisplayMessages), read back from the message log by the
// request's requestId, part by part (seqNo) until the last (no tbc).
import { api } from './api.js'

const LOOK_EVERY = 500 // ms
const GIVE_UP = 20_000 // ms: a station that sends no report (or not all) is said so
const PAGE = 200 // the newest messages of the kind looked at each time

const pause = ms => new Promise(resolve => setTimeout(resolve, ms))

// Resolves to {parts: [payload, ...] in order, complete, problem}: complete once every
// part up to the last came; problem, why the log could not be read. `stillWanted()` false
// stops looking (the page was left).
export async function reportParts(stationId, action, requestId, stillWanted = () => true) {
  const deadline = Date.now() + GIVE_UP
  let parts = []
  for (;;) {
    let page
    try {
      page = await api('/messages', {
        query: { station_id: stationId, action, direction: 'in', message_type: 'CALL', limit: PAGE },
      })
    } catch (error) {
      return { parts, complete: false, problem: error.message }
    }
    // Oldest first, one of each seqNo (NotifyDisplayMessages has none: in the order sent).
    parts = []
    const seen = new Set()
    for (const m of [...page.items].reverse()) {
      const part = m.payload
      if (part?.requestId !== requestId || seen.has(part.seqNo ?? `#${m.id}`)) continue
      seen.add(part.seqNo ?? `#${m.id}`)
      parts.push(part)
    }
    parts.sort((a, b) => (a.seqNo ?? 0) - (b.seqNo ?? 0))
    const last = parts.find(p => !p.tbc)
    const complete = last !== undefined && (last.seqNo == null || parts.length === last.seqNo + 1)
    if (complete || Date.now() > deadline || !stillWanted()) return { parts, complete, problem: null }
    await pause(LOOK_EVERY)
  }
}

// The requestId of each command among `records` the station said Accepted to: a report
// follows (not after EmptyResultSet, Unknown, ..., which end the command well too).
export function acceptedRequests(records) {
  return (records ?? []).filter(r => r.response?.status === 'Accepted' && r.payload?.requestId != null)
    .map(r => r.payload.requestId)
}
