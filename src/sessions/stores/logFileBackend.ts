import { randomBytes } from 'node:crypto'
import { closeSync, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs'
import { open } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import { causeOf, InternalError } from '../../errors.js'
import type { PutOutcome, StoreBackend } from './backend.js'
import { makeFolder, removeStaleTemporaries, writeFileAside, writeFileAtomic } from './atomicWrite.js'
import { lockIsFree, withFileLock, type HeldLock } from './fileLock.js'
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
 * - Each write holds the lock file (`<path>.lock`), appends its record(s) until every byte is
 *   written, and flushes them to disk (`fdatasync`) before it resolves. A write the disk cuts
 *   short (full) is cut off again and rejects, coded: nothing unacknowledged is left, and
 *   nothing acknowledged is missing.
 * - Readers take no lock and never write: each operation `stat`s the file and reads only what
 *   was appended since its last look (once the line it read last is still there: a write
 *   whose flush failed is cut off again), so another process's writes are seen at once. A rewrite
 *   (compaction, in this process or another) is a new file renamed into place: a new inode or
 *   generation, and the reader loads it afresh.
 * - A line without its final newline is a write in progress, or one cut off by a crash: it is
 *   left unread, so the state before it stands. When no live process holds the lock it is a
 *   tear, reported once; the next write seals it with `<TAB>!` (a length no record has) in
 *   its own append, and it is kept as a damaged line, for recovery. A line whose head reads
 *   but whose length does not match is filed under its name as it is, so the codec refuses
 *   it and the store reports that entry. An empty file is refused (every log has a header).
 * - When the log holds more than `compactAbove` records and more than twice the live ones, it
 *   is rewritten (live records and damaged lines only) to a temporary file, and flushed,
 *   without the lock, so other processes go on writing meanwhile (a 70 MiB log held the lock
 *   for seconds). Then, under the lock, the lines appended since are copied after it, and it
 *   is renamed over the log: the lock is held for the tail and a rename, and a crash at any
 *   moment leaves the old log or the new one, each with every acknowledged record.
 * - A file of the first format (lines without a length, no header) is read as it is, and
 *   rewritten in this format by the first write.
 *
 * @example
 * const backend = logFileBackend('./data/sessions.jsonl', 'keyleash', { compactAbove: 1000, report: console.warn })
 */
export function logFileBackend(path: string, partition: string, settings: LogFileSettings): StoreBackend {
  makeFolder(dirname(path), 'path')
  const name = `fileStore ${path}`
  const lockPath = `${path}.lock`
  const inProcess = keyedMutex()
  let log: Log | undefined
  const reportedTears = new Set<string>()
  const head = (kind: string, id: string) => JSON.stringify([partition, kind, id])
  const prefix = (kind: string) => `${JSON.stringify([partition, kind]).slice(0, -1)},`
  // Temporary files of rewrites a kill cut short: removed once, in the background (a store's setup does no I/O loop).
  const cleaned = removeStaleTemporaries(dirname(path), `${basename(path)}.`).catch(() => 0)

  /**
   * The log as on disk now: unchanged (one `stat`), its new records read, or loaded afresh.
   * Reads only: a line still without its newline is left unread, and reported once as torn
   * when no live writer holds the lock (see {@link reportTear}).
   */
  function current(): Log {
    const stats = statSync(path, { throwIfNoEntry: false })
    if (stats === undefined) return (log = emptyLog())
    if (log !== undefined && sameFile(log, stats) && stats.size === log.size && stats.mtimeMs === log.mtimeMs) return log
    log = readLog(path, log, name)
    if (log.size > log.offset && !reportedTears.has(tearOf(log)) && lockIsFree(lockPath) && statSync(path, { throwIfNoEntry: false })?.size === log.size) reportTear(log)
    return log
  }

  /** Reports the torn final record of `seen` (a write cut off by a crash), once per store instance. */
  function reportTear(seen: Log): void {
    reportedTears.add(tearOf(seen))
    settings.report(
      new InternalError(`${name}: skipped a torn record at byte ${seen.offset}: a write was cut off (a crash mid-append); the state before it stands`, {
        store: name,
        entry: `record at byte ${seen.offset}`,
        hint: 'nothing to do: the record was never acknowledged; its bytes are kept in the file',
      }),
    )
  }

  /** Runs `task` holding the lock, on the log as it is then (no writer is mid-append). */
  function locked<T>(task: (log: Log, held: HeldLock) => Promise<T>): Promise<T> {
    return inProcess.run('log', () =>
      withFileLock(lockPath, async (held) => {
        await cleaned
        return task(current(), held)
      }),
    )
  }

  /**
   * Appends `records` (`''` deletes) under the lock, then compacts if the log is due. A torn
   * final record is sealed (`<TAB>!`, kept as a damaged line) in the same append, so a write
   * that cannot be made leaves the file exactly as it found it.
   */
  async function append(seen: Log, held: HeldLock, records: [head: string, value: string][]): Promise<void> {
    if (seen.generation === undefined) seen = await compact(seen, held) // a new file, or one of the first format
    const torn = seen.size > seen.offset
    if (torn && !reportedTears.has(tearOf(seen))) reportTear(seen)
    let text = torn ? '\t!\n' : ''
    for (const [name, value] of records) text += frame(name, value)
    held.assertHeld()
    const written = await appendText(path, text).catch((error: unknown) => {
      log = undefined // read the file again next time, whatever the failure left
      throw error
    })
    if (torn) seen = log = readLog(path, seen, name)
    else {
      for (const [name, value] of records) apply(seen, name, value)
      seen.records += records.length
      seen.offset = seen.size = written.size
      seen.mtimeMs = written.mtimeMs
      seen.lastLine = text.slice(text.lastIndexOf('\n', text.length - 2) + 1, -1)
    }
  }

  /** Rewrites the log in place with its live records and damaged lines only, atomically, under the lock: a new file, or one of the first format. */
  async function compact(seen: Log, held: HeldLock): Promise<Log> {
    const generation = randomBytes(8).toString('hex')
    const text = liveText(seen, generation)
    held.assertHeld()
    await writeFileAtomic(path, text)
    return rewritten(seen, generation, live(seen))
  }

  /** This process's view of the log once `path` holds its rewrite of generation `generation`, with `records` lines. */
  function rewritten(seen: Log, generation: string, records: number): Log {
    const stats = statSync(path)
    // The rewrite's last line is not at hand: this reader's next look skips the check once (its own file, just written).
    log = { ...seen, generation, ino: stats.ino, dev: stats.dev, size: stats.size, offset: stats.size, mtimeMs: stats.mtimeMs, records, lastLine: '' }
    return log
  }

  let compacting: Promise<void> | undefined
  const due = (seen: Log) => dueAbove(seen, settings.compactAbove)

  /**
   * Rewrites the log (see {@link logFileBackend}) unless it is not due or this process already
   * does: its live records written aside without the lock, then, holding it, the lines appended
   * since copied after them and the rewrite renamed into place. It gives up, and the next write
   * tries again, when the log was rewritten meanwhile (by another process) or ends in a torn
   * record (which the next write seals first). A failure (a full disk) is reported, not thrown:
   * the records are on disk, a rewrite only saves space.
   */
  async function compactAside(): Promise<void> {
    if (compacting !== undefined) return
    compacting = rewriteIfDue()
      .catch((error: unknown) =>
        settings.report(
          new InternalError(`${name}: could not rewrite the log: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
            store: name,
            hint: 'the log keeps growing until a rewrite succeeds; free disk space',
            cause: causeOf(error),
          }),
        ),
      )
      .finally(() => (compacting = undefined))
    await compacting
  }

  /** The work of {@link compactAside}; rejects on a failure. */
  async function rewriteIfDue(): Promise<void> {
    const seen = current()
    if (seen.generation === undefined || !due(seen)) return
    // What the rewrite holds, taken now (its text too, below, before anything is awaited): `seen` is this process's live view, and changes as the log grows.
    const from = { generation: seen.generation, ino: seen.ino, dev: seen.dev, offset: seen.offset, records: seen.records, live: live(seen) }
    const generation = randomBytes(8).toString('hex')
    const aside = await writeFileAside(path, liveText(seen, generation))
    let committed = false
    try {
      committed = await locked(async (now, held) => {
        if (now.generation !== from.generation || now.ino !== from.ino || now.dev !== from.dev || now.offset < from.offset || now.size > now.offset) return false
        await aside.append(readRange(path, from.offset, now.offset))
        held.assertHeld()
        await aside.commit()
        rewritten(now, generation, from.live + now.records - from.records)
        return true
      })
    } finally {
      if (!committed) await aside.discard()
    }
  }

  /** Appends what `change` asks for under the lock; then, past it, rewrites the log if that made it due. */
  async function write<T>(change: (entries: ReadonlyMap<string, string>) => [records: [string, string][], result: T]): Promise<T> {
    let wrote = false
    const result = await locked(async (seen, held) => {
      const [records, result] = change(seen.entries)
      wrote = records.length > 0
      if (wrote) await append(seen, held, records)
      return result
    })
    if (wrote) await compactAside()
    return result
  }

  async function list(kind: string): Promise<[string, string][]> {
    const start = prefix(kind)
    const found: [string, string][] = []
    // forEach, not for…of: an [name, value] array made per entry was most of a list's own time at 100,000.
    current().entries.forEach((value, name) => {
      if (name.startsWith(start)) found.push([idOf(name, start.length), value])
    })
    return found
  }

  return {
    name,
    getSession: async (id) => current().entries.get(head(session, id)),
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
    getKey: async (address) => current().entries.get(head(key, address)),
    listKeys: () => list(key),
    putKey: (address, value) => write(() => [[[head(key, address), value]], undefined]),
    replaceKey: (address, expected, next) =>
      write((entries) => (entries.get(head(key, address)) === expected ? [[[head(key, address), next]], true] : [[], false])),
    deleteKey: (address) => write((entries) => [entries.has(head(key, address)) ? [[head(key, address), '']] : [], undefined]),
  }
}

/** Whether `log` holds more than `compactAbove` records and more than twice its live ones. */
function dueAbove(log: Log, compactAbove: number): boolean {
  return log.records > compactAbove && log.records > 2 * live(log)
}

/** The lines a rewrite of `log` keeps: its live records and its damaged lines. */
function live(log: Log): number {
  return log.entries.size + log.damaged.length
}

/** The text of a rewrite of `log` as generation `generation`: its header, live records and damaged lines. */
function liveText(log: Log, generation: string): string {
  const parts = [`${headerPrefix}${generation}\n`]
  log.entries.forEach((value, name) => parts.push(frame(name, value)))
  for (const line of log.damaged) parts.push(`${line}\n`)
  return parts.join('')
}

/** The bytes of `path` from `start` to `end`. */
function readRange(path: string, start: number, end: number): Buffer {
  const fd = openSync(path, 'r')
  try {
    return readBytes(fd, start, end - start)
  } finally {
    closeSync(fd)
  }
}

/** Names one torn tail: a file, its generation, where the tear starts. */
function tearOf(log: Log): string {
  return `${log.dev}:${log.ino}:${log.generation}:${log.offset}`
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
  /**
   * The last whole line read, ending at `offset` (`''`: none, or not known). A write whose flush
   * failed is cut off again (see appendText); a reader that read it, then sees the file grow
   * past it with other bytes, would read on from the middle of a line: it checks these bytes
   * are still there first.
   */
  lastLine: string
}

function emptyLog(): Log {
  return { generation: undefined, ino: -1, dev: -1, mtimeMs: 0, size: 0, offset: 0, entries: new Map(), damaged: [], records: 0, lastLine: '' }
}

function sameFile(log: Log, stats: Stats): boolean {
  return stats.ino === log.ino && stats.dev === log.dev
}

/**
 * Reads what was appended to the file `known` describes, or the whole file when it was
 * replaced or cut shorter than what was read, in slices (peak memory: the records kept, plus
 * one slice). An empty log (every log this store writes starts with its header) was cut at
 * rest: refused, never read as a store without sessions.
 */
function readLog(path: string, known: Log | undefined, name: string): Log {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyLog()
    throw error
  }
  try {
    const stats = fstatSync(fd)
    // Every log this store writes starts with its header: an empty file lost everything.
    if (stats.size === 0)
      throw new InternalError(`${name}: the log is empty (0 bytes), but a log always holds its header: it was truncated at rest`, {
        store: name,
        hint: 'restore the file from a backup; to start an empty store instead, delete it',
      })
    // Shorter than what was read (cut at rest), or no longer ending, where this reader stopped,
    // in the line it read last (a failed write cut off, then others written): read afresh, as a
    // new reader would, tear and all.
    const grown =
      known !== undefined &&
      sameFile(known, stats) &&
      stats.size >= known.offset &&
      generationOf(readBytes(fd, 0, headerBytes).toString('latin1')) === known.generation &&
      stillEndsWith(fd, known)
    const log = grown ? known : { ...emptyLog(), ino: stats.ino, dev: stats.dev }
    let position = log.offset
    // One buffer for every slice: a new one each was as many bytes again to allocate (and fault in) as the file.
    let scratch = Buffer.allocUnsafe(Math.min(sliceBytes, stats.size - position))
    while (position < stats.size) {
      let length = Math.min(sliceBytes, stats.size - position)
      let slice = readBytes(fd, position, length, scratch)
      let end = slice.lastIndexOf(0x0a) + 1
      // A line longer than a slice: read more, until its newline or the end of the file.
      while (end === 0 && length < stats.size - position) {
        length = Math.min(2 * length, stats.size - position)
        slice = readBytes(fd, position, length, (scratch = Buffer.allocUnsafe(length)))
        end = slice.lastIndexOf(0x0a) + 1
      }
      if (end === 0) break // a last line without its newline: being written, or torn
      readText(log, slice.subarray(0, end).toString('utf8'), position === 0)
      position += end
    }
    log.offset = position
    log.size = stats.size
    log.mtimeMs = stats.mtimeMs
    return log
  } finally {
    closeSync(fd)
  }
}

/** Whether the file still holds `known.lastLine` and its newline right before `known.offset`. */
function stillEndsWith(fd: number, known: Log): boolean {
  if (known.lastLine === '') return true
  const line = Buffer.from(`${known.lastLine}\n`, 'utf8')
  return known.offset >= line.length && readBytes(fd, known.offset - line.length, line.length).equals(line)
}

/** `length` bytes of `fd` from `position` (fewer at its end), read into `into` when given (at least that long). */
function readBytes(fd: number, position: number, length: number, into?: Buffer): Buffer {
  const buffer = into?.subarray(0, length) ?? Buffer.allocUnsafe(Math.max(0, length))
  let read = 0
  while (read < buffer.length) {
    const count = readSync(fd, buffer, read, buffer.length - read, position + read)
    if (count === 0) break
    read += count
  }
  return buffer.subarray(0, read)
}

function generationOf(text: string): string | undefined {
  return text.length === headerBytes && text.startsWith(headerPrefix) && text.endsWith('\n') ? text.slice(headerPrefix.length, -1) : undefined
}

/** Reads whole lines of the log; at its start, the header first. */
function readText(log: Log, text: string, atStart: boolean): void {
  let from = 0
  if (atStart && text.startsWith(headerPrefix)) {
    log.generation = generationOf(text.slice(0, headerBytes))
    from = text.indexOf('\n') + 1
  }
  // Where the last whole line read starts and ends (none yet: -1).
  let lastFrom = -1
  let lastEnd = -1
  for (let end = text.indexOf('\n', from); end !== -1; from = end + 1, end = text.indexOf('\n', from)) {
    if (end === from) continue
    readLine(log, text, from, end)
    lastFrom = from
    lastEnd = end
  }
  if (lastFrom >= 0) log.lastLine = text.slice(lastFrom, lastEnd)
}

// Slices of the file read at a time: large enough that a slice costs little more than its bytes.
const sliceBytes = 4 * 1024 * 1024

/**
 * Files the line `text[from, end)` of the log: a record (the last of a name wins), or a damaged
 * line kept aside. By positions in `text`: a string cut out per field was a measurable part of
 * loading 100,000 records.
 */
function readLine(log: Log, text: string, from: number, end: number): void {
  log.records++
  const tab = text.indexOf('\t', from)
  const name = from < tab && tab < end ? text.slice(from, tab) : undefined
  if (name === undefined || (end - from >= 2 && text.startsWith('\t!', end - 2)) || !isHead(name)) {
    log.damaged.push(text.slice(from, end))
    return
  }
  if (log.generation === undefined) return apply(log, name, text.slice(tab + 1, end)) // the first format: no length
  const last = text.lastIndexOf('\t', end - 1)
  // A length that does not match: the value is filed as it is, length and all, for the codec to refuse and the store to report.
  apply(log, name, text.slice(tab + 1, last > tab && lengthAt(text, last + 1, end) === last - tab - 1 ? last : end))
}

/** The decimal number `text[from, end)`, or -1 when that is not digits alone. */
function lengthAt(text: string, from: number, end: number): number {
  let length = from < end ? 0 : -1
  for (let i = from; i < end && length >= 0; i++) {
    const digit = text.charCodeAt(i) - 48
    length = digit >= 0 && digit <= 9 ? length * 10 + digit : -1
  }
  return length
}

function apply(log: Log, name: string, value: string): void {
  if (value === '') log.entries.delete(name)
  else log.entries.set(name, value)
}

function frame(name: string, value: string): string {
  return `${name}\t${value}\t${value.length}\n`
}

/**
 * Appends `text` (creating the file 0600) until every byte is written, flushed to disk; resolves
 * to the file's stats after it. A write the disk cuts short (full) or that cannot be flushed
 * is cut off again, so the file is as it was, and rejects: nothing half-written is left for
 * a reader to drop, and nothing is acknowledged that is not on disk.
 */
async function appendText(path: string, text: string): Promise<Stats> {
  const bytes = Buffer.from(text, 'utf8')
  const handle = await open(path, 'a', 0o600)
  try {
    const before = (await handle.stat()).size
    try {
      for (let done = 0; done < bytes.length; ) {
        const { bytesWritten } = await handle.write(bytes, done, bytes.length - done)
        if (bytesWritten === 0) throw Object.assign(new Error('the disk took no more bytes'), { code: 'ENOSPC' })
        done += bytesWritten
      }
      await handle.datasync()
    } catch (error) {
      await handle.truncate(before).catch(() => undefined)
      throw error
    }
    return await handle.stat()
  } finally {
    await handle.close()
  }
}

/** The id in the head `name`, after its first `from` characters (partition and kind): parsed only when it holds an escape. */
function idOf(name: string, from: number): string {
  return name.includes('\\', from) ? (JSON.parse(name.slice(from, -1)) as string) : name.slice(from + 1, -2)
}

function isHead(text: string): boolean {
  // Three strings without an escape or a control character (every head this store writes for a plain id) are a head: no parse needed.
  if (plainHead.test(text)) return true
  try {
    const parsed: unknown = JSON.parse(text)
    return Array.isArray(parsed) && parsed.length === 3 && parsed.every((part) => typeof part === 'string')
  } catch {
    return false
  }
}

const plainHead = /^\["[^"\\\u0000-\u001f]*","[^"\\\u0000-\u001f]*","[^"\\\u0000-\u001f]*"\]$/
