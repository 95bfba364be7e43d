// Tables sorted by a click on a column's header (again: the other way). A cell sorts by
// its data-sort value when it has one (a time's ISO text, a number of Wh), else by its
// text; numbers as numbers, text in natural order. Rows added or replaced later (a live
// update, the next page) take their place in the order chosen.

function key(row, column) {
  const cell = row.cells[column]
  if (!cell) return ''
  return cell.dataset.sort ?? cell.textContent.trim()
}

function compare(a, b) {
  const empty = v => v === '' || v === '—'
  if (empty(a) || empty(b)) return empty(a) - empty(b) // unknown values last
  const [x, y] = [Number(a), Number(b)]
  if (Number.isFinite(x) && Number.isFinite(y)) return x - y
  return a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' })
}

export function sortable(table) {
  const headers = [...table.tHead.rows[0].cells]
  const tbody = table.tBodies[0]
  let column = null
  let direction = 1
  const observer = new MutationObserver(apply)

  function apply() {
    if (column === null) return
    observer.disconnect()
    // A row standing for none ("No station yet.") spans the table: it stays below.
    const rows = [...tbody.rows].filter(r => r.cells.length > 1)
    const sorted = [...rows].sort((a, b) => {
      const [x, y] = [key(a, column), key(b, column)]
      const empty = v => v === '' || v === '—'
      return empty(x) || empty(y) ? compare(x, y) : direction * compare(x, y)
    })
    if (sorted.some((row, i) => row !== rows[i])) tbody.prepend(...sorted)
    observer.observe(tbody, { childList: true })
  }

  headers.forEach((th, index) => {
    if (th.dataset.sortable === 'false') return // a column of controls (a select-all box)
    th.classList.add('sortable')
    th.tabIndex = 0
    th.setAttribute('aria-sort', 'none')
    const choose = () => {
      direction = column === index ? -direction : 1
      column = index
      for (const other of headers) other.setAttribute('aria-sort', 'none')
      th.setAttribute('aria-sort', direction > 0 ? 'ascending' : 'descending')
      apply()
    }
    th.addEventListener('click', choose)
    th.addEventListener('keydown', event => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault()
        choose()
      }
    })
  })
  return table
}
