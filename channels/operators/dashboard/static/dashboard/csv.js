// CSV (RFC 4180) built in the page, and saved as a file: no server round trip.

// A field in double quotes when it holds a comma, a quote or a line break (quotes
// doubled). Text a spreadsheet would run as a formula (= + - @, a tab or a CR first)
// gets a leading ' : an idTag or a station id is not a command.
export function field(value, { text = false } = {}) {
  if (value === null || value === undefined) return ''
  let s = String(value)
  if (text && /^[=+\-@\t\r]/.test(s)) s = `'${s}`
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}

// `columns`: [name, row => value, {text}] in order; lines end with CRLF, as RFC 4180 says.
export function csv(columns, rows) {
  const lines = [columns.map(([name]) => field(name))]
  for (const row of rows) lines.push(columns.map(([, get, options]) => field(get(row), options)))
  return lines.map(line => `${line.join(',')}\r\n`).join('')
}

export function saveFile(name, text, type = 'text/csv') {
  const url = URL.createObjectURL(new Blob([text], { type }))
  const link = document.createElement('a')
  link.href = url
  link.download = name
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 60_000) // once the download has it
}
