// Whether a 2.x station's transaction goes on and its messages wait to be delivered
// (GetTransactionStatus, POST /stations/{id}/transaction-status): a button for an open
// transaction's row, the answer beside it and in the commands panel.
import { h, replace } from './dom.js'
import { operate } from './operate.js'

// `transaction`: its row from the API (the central system names it by the station's id).
export function transactionStatusButton(stationId, transaction) {
  const said = h('output', { class: 'transaction-status' })
  const button = h('button', { type: 'button', title: 'GetTransactionStatus', onclick: ask }, 'Status')

  async function ask() {
    replace(said)
    const records = await operate(stationId, 'GetTransactionStatus', 'transaction-status',
      { transaction: String(transaction.id) }, said)
    if (!records) return
    const answer = records[0].response
    if (!answer) {
      replace(said, records[0].status)
      return
    }
    const ongoing = answer.ongoingIndicator == null ? '' : answer.ongoingIndicator ? 'ongoing, ' : 'ended, '
    replace(said, `${ongoing}${answer.messagesInQueue ? 'messages waiting' : 'no messages waiting'}`)
  }

  return h('span', { class: 'actions' }, button, said)
}
