import { createHash } from 'node:crypto'
import { statSync } from 'node:fs'
import { InvalidParamsError } from '../../errors.js'
import { fileCheckpoint } from './checkpoint.js'
import { codedBackend } from './codedBackend.js'
import { folderBackend } from './folderBackend.js'
import { logFileBackend } from './logFileBackend.js'
import { nodeKeyRing } from './nodeRecordAuth.js'
import { keyRingOf, partitionOf, type StoreOptions } from './options.js'
import { createPersistentStore, warn, type PersistentStore } from './persistentStore.js'

/** Options of {@link fileStore}. */
export type FileStoreOptions = StoreOptions & {
  /**
   * `'file'`: everything in one append-only log (a write appends a line, a read looks at what
   * was appended since; fast to load). `'folder'`: one file per session and per key (writes
   * touch one small file; loading reads them all). Default: `'folder'` when `path` is an
   * existing directory or ends with `/`, else `'file'`.
   */
  layout?: 'file' | 'folder' | undefined
  /**
   * One-file layout: the log is rewritten with its live records only once it holds more than
   * this many records and more than twice the live ones, so it stays within about twice its
   * live size and a rewrite's cost is spread over as many writes. Default: 1,000.
   */
  compactAbove?: number | undefined
}

/**
 * A {@link PersistentStore} on the local disk, for Node: sessions survive a restart, keys are
 * encrypted at rest with `encryptionKey` (required, or `plaintextKeys: true`).
 *
 * - Files are mode 0600. The one-file layout appends each write to a log, flushed to disk
 *   before the write resolves, and rewrites the log now and then to a temporary file renamed
 *   into place; the folder layout writes each file that way. A crash at any moment leaves the
 *   state before the write or after it: a record cut off is skipped and reported.
 * - Every write holds a lock file (`<path>.lock`, created with O_EXCL), so two processes on
 *   one store never lose an update and never sign past a call limit.
 * - Reads need no lock and are cached: the log is read from where this process last stopped,
 *   so an operation costs the same with 10,000 sessions as with one.
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
  const cipher = nodeKeyRing(keyRingOf(options, 'fileStore'))
  const layout = options.layout ?? (path.endsWith('/') || isDirectory(path) ? 'folder' : 'file')
  if (layout !== 'file' && layout !== 'folder') throw new InvalidParamsError('layout', "must be 'file' or 'folder'")
  const compactAbove = options.compactAbove ?? 1000
  if (!Number.isSafeInteger(compactAbove) || compactAbove < 0) throw new InvalidParamsError('compactAbove', 'must be a whole number ≥ 0')
  const report = options.onError ?? warn
  // Every failure of the disk leaves coded (-32603, its cause, what to do), never a raw Node error.
  const backend = codedBackend(layout === 'folder' ? folderBackend(path, partition) : logFileBackend(path, partition, { compactAbove, report }))
  // A file of its own beside the log (rewriting the log knows no key to sign it with), one per partition (stores of several
  // may share a log); signed with the record key, so only with an `encryptionKey` (plaintext records carry no tag to vouch for).
  const checkpointPath = `${path}.${createHash('sha256').update(partition).digest('hex').slice(0, 16)}.checkpoint`
  const checkpoint = layout === 'file' && options.encryptionKey !== undefined ? fileCheckpoint(checkpointPath, backend.name, { cipher, report }) : undefined
  return createPersistentStore(backend, { cipher, scope: options.scope, onError: options.onError, purgeMargin: options.purgeMargin, checkpoint })
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}
