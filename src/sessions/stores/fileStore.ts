import { mkdirSync, statSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { InvalidParamsError } from '../../errors.js'
import type { StoreBackend } from './backend.js'
import { writeFileAtomic } from './atomicWrite.js'
import { withFileLock } from './fileLock.js'
import { folderBackend } from './folderBackend.js'
import { keyedMutex } from './mutex.js'
import { cipherOf, partitionOf, type StoreOptions } from './options.js'
import { createPersistentStore, type PersistentStore } from './persistentStore.js'

/** Options of {@link fileStore}. */
export type FileStoreOptions = StoreOptions & {
  /**
   * `'file'`: everything in one file of lines (fast to load, every write rewrites it: for up
   * to a few thousand sessions). `'folder'`: one file per session and per key (writes touch
   * one small file; loading reads them all). Default: `'folder'` when `path` is an existing
   * directory or ends with `/`, else `'file'`.
   */
  layout?: 'file' | 'folder' | undefined
}

/**
 * A {@link PersistentStore} on the local disk, for Node: sessions survive a restart, keys are
 * encrypted at rest with `encryptionKey` (required, or `plaintextKeys: true`).
 *
 * - Files are written whole to a temporary file and renamed into place, mode 0600: a crash
 *   mid-write never loses a session stored before.
 * - Every write holds a lock file (`<path>.lock`, created with O_EXCL), so two processes on
 *   one store never lose an update and never sign past a call limit.
 * - Reads need no lock (a rename is atomic) and are cached until the file changes.
 * - A damaged line (or file) is reported to `onError` and skipped; others stay usable, and a
 *   rewrite keeps the damaged line as it is rather than destroying what may be recovered.
 *
 * Node only: import it from the Node entry, never into a browser bundle.
 *
 * @example
 * import { fileStore } from 'keyleash/node'
 * const store = fileStore('./data/sessions.jsonl', { encryptionKey: process.env.KEYLEASH_KEY as `0x${string}` })
 * const provider = withSessionKeys(inner, { store })
 * await store.purge() // revoked and expired sessions, keys first
 */
export function fileStore(path: string, options: FileStoreOptions = {}): PersistentStore {
  if (typeof path !== 'string' || path === '') throw new InvalidParamsError('path', 'must be a file or folder path')
  const partition = partitionOf(options)
  const cipher = cipherOf(options, 'fileStore')
  const layout = options.layout ?? (path.endsWith('/') || isDirectory(path) ? 'folder' : 'file')
  if (layout !== 'file' && layout !== 'folder') throw new InvalidParamsError('layout', "must be 'file' or 'folder'")
  const backend = layout === 'folder' ? folderBackend(path, partition) : lineFileBackend(path, partition)
  return createPersistentStore(backend, { cipher, scope: options.scope, onError: options.onError })
}

type Loaded = {
  /** `dev:ino:size:mtime` of what was read: a rename gives a new inode, so any write shows. */
  version: string
  /** Every line, by `JSON.stringify([partition, kind, name])`; other partitions' too. */
  entries: Map<string, string>
  /** Lines that could not be read; written back as they are. */
  damaged: string[]
}

const session = 's'
const key = 'k'

/**
 * One file of lines `["<partition>","s"|"k","<id or address>"]<TAB><value>`. The head is
 * JSON (ids may hold anything); the value is the codec's JSON, which never holds a raw tab
 * or newline, so a line is split at its first tab and only the value needs decoding, later.
 */
function lineFileBackend(path: string, partition: string): StoreBackend {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const lockPath = `${path}.lock`
  const inProcess = keyedMutex()
  let cache: Loaded | undefined
  const head = (kind: string, name: string) => JSON.stringify([partition, kind, name])

  async function load(): Promise<Loaded> {
    const version = await stat(path).then(
      (s) => `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return 'none'
        throw error
      },
    )
    if (cache?.version === version) return cache
    const text = version === 'none' ? '' : await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? '' : Promise.reject(error)))
    const entries = new Map<string, string>()
    const damaged: string[] = []
    for (const line of text.split('\n')) {
      if (line === '') continue
      const tab = line.indexOf('\t')
      if (tab > 0 && isHead(line.slice(0, tab))) entries.set(line.slice(0, tab), line.slice(tab + 1))
      else damaged.push(line)
    }
    cache = { version, entries, damaged }
    return cache
  }

  /** Read, change and rewrite the file under the lock; `change` returns whether it changed anything. */
  function write<T>(change: (entries: Map<string, string>) => [changed: boolean, result: T]): Promise<T> {
    return inProcess.run('file', () =>
      withFileLock(lockPath, async () => {
        const loaded = await load()
        const entries = new Map(loaded.entries)
        const [changed, result] = change(entries)
        if (changed) {
          let text = ''
          for (const [name, value] of entries) text += `${name}\t${value}\n`
          for (const line of loaded.damaged) text += `${line}\n`
          await writeFileAtomic(path, text)
          cache = undefined
        }
        return result
      }),
    )
  }

  return {
    name: `fileStore ${path}`,
    async getSession(id) {
      return (await load()).entries.get(head(session, id))
    },
    async listSessions() {
      const { entries } = await load()
      const prefix = `${JSON.stringify([partition, session]).slice(0, -1)},`
      const found: [string, string][] = []
      for (const [name, value] of entries) if (name.startsWith(prefix)) found.push([(JSON.parse(name) as string[])[2] as string, value])
      return found
    },
    putSession(id, value, keyAddress) {
      return write((entries) => {
        if (entries.has(head(session, id))) return [false, 'exists']
        if (keyAddress !== undefined && !entries.has(head(key, keyAddress))) return [false, 'no-key']
        entries.set(head(session, id), value)
        return [true, 'stored']
      })
    },
    updateSession(id, change) {
      return write((entries) => {
        const current = entries.get(head(session, id))
        if (current === undefined) return [false, undefined]
        const next = change(current)
        if (next === undefined) return [false, false]
        entries.set(head(session, id), next)
        return [true, true]
      })
    },
    deleteSession(id) {
      return write((entries) => {
        const current = entries.get(head(session, id))
        entries.delete(head(session, id))
        return [current !== undefined, current]
      })
    },
    async getKey(address) {
      return (await load()).entries.get(head(key, address))
    },
    putKey(address, value) {
      return write((entries) => {
        entries.set(head(key, address), value)
        return [true, undefined]
      })
    },
    deleteKey(address) {
      return write((entries) => [entries.delete(head(key, address)), undefined])
    },
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

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}
