import { randomBytes } from 'node:crypto'
import { closeSync, fstatSync, mkdirSync, openSync, readSync, statSync, type Stats } from 'node:fs'
import { open } from 'node:fs/promises'
import { dirname } from 'node:path'
import { causeOf, InternalError } from '../../errors.js'
import type { PutOutcome, StoreBackend } from './backend.js'
import { writeFileAtomic } from './atomicWrite.js'
import { withFileLock } from './fileLock.js'
import { keyedMutex } from './mutex.js'

/** How {@link logFileBackend} is set up by `fileStore`. */
export type LogFileSettings = {
  /** The log is rewritten when it holds more than this many records and more than twice the live ones. */
  compactAbove: number
  /** Where a torn final record (a write cut off by a crash) is reported once it is skipped. */
  report: (error: InternalError) => void
}

/**
 * The one-file layout of `fileStore`: an append-only log, so an operation costs the same with
 * 10,000 sessions as with one. The file is a header line `#keyleash log 2 <generation>`, then
 * one record a line:
 *
 *     ["<partition>","s"|"k","<id or address>"]<TAB><value><TAB><length of value>
 *
 * The last record of a name wins; an empty value deletes it. The head is JSON (ids may hold
 * anything); values are the codec's or the cipher's JSON, which never hold a raw tab or newline.
 *
 * - Each write holds the lock file (`<path>.lock`), appends its record(s) in one `write` and
 *   flushes them to disk (`fdatasync`) before it resolves.
 * - Readers take no lock: each operation `stat`s the file and reads only what was appended
 *   since its last look, so another process's writes are seen at once. A rewrite (compaction,
 *   in this process or another) is a new file renamed into place: a new inode or generation,
 *   and the reader loads it afresh.
 * - A line without its final newline is a write in progress, or one cut off by a crash; the
 *   lock tells them apart (a writer holds it while appending). A cut-off record is sealed with
 *   `<TAB>!` (a length no record has), skipped, reported once, and kept for recovery: the
 *   state before it stands. A line whose head reads but whose length does not match is
 *   filed under its name as it is, so the codec refuses it and the store reports that entry.
 * - When the log holds more than `compactAbove` records and more than twice the live ones, it
 *   is rewritten (live records and damaged lines only) to a temporary file, flushed, and
 *   renamed over the log, under the lock: a crash leaves the old log or the new one.
 * - A file of the first format (lines without a length, no header) is read as it is, and
 *   rewritten in this format by the first write.
 *
 * @example
 * const backend = logFileBackend('./data/sessions.jsonl', 'keyleash', { compactAbove: 1000, report: console.warn })
 */
export function logFileBackend(path: string, partition: string, settings: LogFileSettings): StoreBackend {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const name = `fileStore ${path}`
  const lockPath = `${path}.lock`
  const inProcess = keyedMutex()
  let log: Log | undefined
  const head = (kind: string, id: string) => JSON.stringify([partition, kind, id])
  const prefix = (kind: string) => `${JSON.stringify([partition, kind]).slice(0, -1)},`

  /** The log as on disk now: unchanged (one `stat`), its new records read, or loaded afresh. */
  function current(): Log {
    let stats: Stats | undefined
    try {
      stats = statSync(path)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
    if (stats === undefined) return (log = emptyLog())
    if (log !== undefined && sameFile(log, stats) && stats.size === log.size && stats.mtimeMs === log.mtimeMs) return log
    log = readLog(path, log)
    return log
  }

  /** `current()`, with a torn final record sealed first (under the lock: no writer is mid-append then). */
  async function settled(): Promise<Log> {
    const seen = current()
    return seen.size > seen.offset ? locked(async () => current()) : seen
  }

  /** Runs `task` holding the lock, on a log whose torn final record (if any) is sealed. */
  function locked<T>(task: (log: Log) => Promise<T>): Promise<T> {
    return inProcess.run('log', () =>
      withFileLock(lockPath, async () => {
        let seen = current()
        if (seen.size > seen.offset) {
          const at = seen.offset
          await appendText(path, '\t!\n')
          seen = current()
          settings.report(
            new InternalError(`${name}: skipped a torn record at byte ${at}: a write was cut off (a crash mid-append); the state before it stands`, {
              store: name,
              entry: `record at byte ${at}`,
              hint: 'nothing to do: the record was never acknowledged; its bytes are kept in the file',
            }),
          )
        }
        return task(seen)
      }),
    )
  }

  /** Appends `records` (`''` deletes) under the lock, then compacts if the log is due. */
  async function append(seen: Log, records: [head: string, value: string][]): Promise<void> {
    if (seen.generation === undefined) seen = await compact(seen) // a new file, or one of the first format
    let text = ''
    for (const [name, value] of records) text += frame(name, value)
    const written = await appendText(path, text).catch((error: unknown) => {
      log = undefined // a write that failed halfway (a full disk): read the file again
      throw error
    })
    for (const [name, value] of records) apply(seen, name, value)
    seen.records += records.length
    seen.offset = seen.size = written.size
    seen.mtimeMs = written.mtimeMs
    if (seen.records > settings.compactAbove && seen.records > 2 * (seen.entries.size + seen.damaged.length))
      // The records are on disk: a rewrite that fails (a full disk) must not fail their write. The next write tries again.
      await compact(seen).catch((error: unknown) =>
        settings.report(
          new InternalError(`${name}: could not rewrite the log: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
            store: name,
            hint: 'the log keeps growing until a rewrite succeeds; free disk space',
            cause: causeOf(error),
          }),
        ),
      )
  }

  /** Rewrites the log with its live records and damaged lines only, atomically. */
  async function compact(seen: Log): Promise<Log> {
    const generation = randomBytes(8).toString('hex')
    let text = `${headerPrefix}${generation}\n`
    for (const [name, value] of seen.entries) text += frame(name, value)
    for (const line of seen.damaged) text += `${line}\n`
    await writeFileAtomic(path, text)
    const stats = statSync(path)
    log = { ...seen, generation, ino: stats.ino, dev: stats.dev, size: stats.size, offset: stats.size, mtimeMs: stats.mtimeMs, records: seen.entries.size + seen.damaged.length }
    return log
  }

  function write<T>(change: (entries: ReadonlyMap<string, string>) => [records: [string, string][], result: T]): Promise<T> {
    return locked(async (seen) => {
      const [records, result] = change(seen.entries)
      if (records.length > 0) await append(seen, records)
      return result
    })
  }

  function list(kind: string): Promise<[string, string][]> {
    return settled().then(({ entries }) => {
      const start = prefix(kind)
      const found: [string, string][] = []
      for (const [name, value] of entries) if (name.startsWith(start)) found.push([(JSON.parse(name) as string[])[2] as string, value])
      return found
    })
  }

  return {
    name,
    getSession: async (id) => (await settled()).entries.get(head(session, id)),
    listSessions: () => list(session),
    putSession(id, value, keyAddress) {
      return write((entries): [[string, string][], PutOutcome] => {
        if (entries.has(head(session, id))) return [[], 'exists']
        if (keyAddress !== undefined && !entries.has(head(key, keyAddress))) return [[], 'no-key']
        return [[[head(session, id), value]], 'stored']
      })
    },
    updateSession(id, change) {
      return write((entries) => {
        const stored = entries.get(head(session, id))
        if (stored === undefined) return [[], undefined]
        const next = change(stored)
        return next === undefined ? [[], false] : [[[head(session, id), next]], true]
      })
    },
    deleteSession(id) {
      return write((entries) => {
        const stored = entries.get(head(session, id))
        return [stored === undefined ? [] : [[head(session, id), '']], stored]
      })
    },
    getKey: async (address) => (await settled()).entries.get(head(key, address)),
    listKeys: () => list(key),
    putKey: (address, value) => write(() => [[[head(key, address), value]], undefined]),
    replaceKey: (address, expected, next) =>
      write((entries) => (entries.get(head(key, address)) === expected ? [[[head(key, address), next]], true] : [[], false])),
    deleteKey: (address) => write((entries) => [entries.has(head(key, address)) ? [[head(key, address), '']] : [], undefined]),
  }
}

const session = 's'
const key = 'k'
const headerPrefix = '#keyleash log 2 '
/** The header's length in bytes: the prefix, 16 hex digits of generation, a newline. */
const headerBytes = headerPrefix.length + 17

/** What this process knows of the log file, up to `offset`. */
type Log = {
  /** Random per rewrite: an inode number can be reused, a generation is not. `undefined`: no header (new file, first format). */
  generation: string | undefined
  ino: number
  dev: number
  mtimeMs: number
  /** The file's size when last looked at. */
  size: number
  /** Bytes read as whole lines; `size > offset` is a line still being written, or torn. */
  offset: number
  /** Live values by head, every partition's. */
  entries: Map<string, string>
  /** Lines that are no record (no readable head, or sealed as torn): kept when the log is rewritten. */
  damaged: string[]
  /** Record lines in the file, live or superseded, and damaged ones: what compaction would drop. */
  records: number
}

function emptyLog(): Log {
  return { generation: undefined, ino: -1, dev: -1, mtimeMs: 0, size: 0, offset: 0, entries: new Map(), damaged: [], records: 0 }
}

function sameFile(log: Log, stats: Stats): boolean {
  return stats.ino === log.ino && stats.dev === log.dev
}

/** Reads what was appended to the file `known` describes, or the whole file when it was replaced. */
function readLog(path: string, known: Log | undefined): Log {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyLog()
    throw error
  }
  try {
    const stats = fstatSync(fd)
    const grown = known !== undefined && sameFile(known, stats) && stats.size >= known.offset && generationOf(readBytes(fd, 0, headerBytes)) === known.generation
    const log = grown ? known : { ...emptyLog(), ino: stats.ino, dev: stats.dev }
    const tail = readBytes(fd, log.offset, stats.size - log.offset)
    const end = tail.lastIndexOf(0x0a) + 1
    let text = tail.subarray(0, end).toString('utf8')
    if (log.offset === 0 && text.startsWith(headerPrefix)) {
      log.generation = generationOf(tail.subarray(0, headerBytes))
      text = text.slice(text.indexOf('\n') + 1)
    }
    for (const line of text.split('\n')) if (line !== '') readLine(log, line)
    log.offset += end
    log.size = stats.size
    log.mtimeMs = stats.mtimeMs
    return log
  } finally {
    closeSync(fd)
  }
}

function readBytes(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.allocUnsafe(Math.max(0, length))
  let read = 0
  while (read < buffer.length) {
    const count = readSync(fd, buffer, read, buffer.length - read, position + read)
    if (count === 0) break
    read += count
  }
  return buffer.subarray(0, read)
}

function generationOf(header: Buffer): string | undefined {
  const text = header.toString('latin1')
  return text.length === headerBytes && text.startsWith(headerPrefix) && text.endsWith('\n') ? text.slice(headerPrefix.length, -1) : undefined
}

/** Files one line of the log: a record (the last of a name wins), or a damaged line kept aside. */
function readLine(log: Log, line: string): void {
  log.records++
  const tab = line.indexOf('\t')
  if (line.endsWith('\t!') || tab <= 0 || !isHead(line.slice(0, tab))) {
    log.damaged.push(line)
    return
  }
  const name = line.slice(0, tab)
  const rest = line.slice(tab + 1)
  if (log.generation === undefined) return apply(log, name, rest) // the first format: no length
  const last = rest.lastIndexOf('\t')
  const value = rest.slice(0, last)
  // A length that does not match: the value is filed as it is, for the codec to refuse and the store to report.
  apply(log, name, last >= 0 && /^\d+$/.test(rest.slice(last + 1)) && Number(rest.slice(last + 1)) === value.length ? value : rest)
}

function apply(log: Log, name: string, value: string): void {
  if (value === '') log.entries.delete(name)
  else log.entries.set(name, value)
}

function frame(name: string, value: string): string {
  return `${name}\t${value}\t${value.length}\n`
}

/** Appends `text` in one write (creating the file 0600), flushed to disk; resolves to the file's stats after it. */
async function appendText(path: string, text: string): Promise<Stats> {
  const handle = await open(path, 'a', 0o600)
  try {
    await handle.write(text)
    await handle.datasync()
    return await handle.stat()
  } finally {
    await handle.close()
  }
}

function isHead(text: string): boolean {
  try {
    const parsed: unknown = JSON.parse(text)
    return Array.isArray(parsed) && parsed.length === 3 && parsed.every((part) => typeof part === 'string')
  } catch {
    return false
  }
}
