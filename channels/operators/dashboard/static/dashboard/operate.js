// An operation on a station that the central system composes (POST /stations/{id}/<route>):
// sent through the API, each request it became followed to the station's answer, the
// outcome in the commands panel, and in the panel's own `problem` line when refused.
import { api, ApiError } from './api.js'
import { entry, OPEN, settle, WAIT } from './commands.js'
import { replace } from './dom.js'

const said = record => record.response ? JSON.stringify(record.response) : record.error_code ?? ''

// Resolves to the records of the commands sent, as answered (several when the API split a
// request as the station's limits allow), or null when the API refused it (said where shown).
export async function operate(stationId, label, route, body, problem) {
  const show = entry(stationId, label)
  if (problem) replace(problem)
  try {
    const path = `/stations/${encodeURIComponent(stationId)}/${route}`
    const sent = await api(path, { method: 'POST', query: { wait: WAIT }, body })
    // The device model's routes answer with the commands sent; the others, with the one.
    const records = []
    for (const record of sent.commands ?? [sent]) {
      records.push(OPEN.has(record.status) ? await settle(record.id) : record)
    }
    const shown = records.find(r => r.status !== 'accepted') ?? records[records.length - 1]
    show(shown.status, records.map(said).join(' '))
    return records
  } catch (error) {
    show(error instanceof ApiError ? `refused (${error.status})` : 'failed', error.message)
    if (problem) replace(problem, error.message)
    return null
  }
}
