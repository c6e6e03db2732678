import { causeOf, InternalError, KeyleashError } from '../../errors.js'
import type { StoreBackend } from './backend.js'

/**
 * `backend` with every failure coded: an error of the medium itself (a Node `ENOSPC`, a
 * dropped connection) becomes an {@link InternalError} (-32603) that names the store and the
 * step, keeps the original under `data.cause`, and says what to do; a keyleash error passes
 * as it is. The one place where store errors are coded, so no store hands a raw error on.
 *
 * @example
 * const backend = codedBackend(logFileBackend(path, partition, settings))
 * await backend.getSession('0x01') // rejects with { code: -32603, data: { cause: { code: 'ENOSPC' } } } on a full disk
 */
export function codedBackend(backend: StoreBackend): StoreBackend {
  const coded =
    <A extends unknown[], R>(step: string, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await call(...args)
      } catch (error) {
        throw storeError(backend.name, step, error)
      }
    }
  return {
    name: backend.name,
    getSession: coded('read a session', (id) => backend.getSession(id)),
    listSessions: coded('list sessions', () => backend.listSessions()),
    putSession: coded('store a session', (id, value, keyAddress, expiry) => backend.putSession(id, value, keyAddress, expiry)),
    updateSession: coded('update a session', (id, change, expected) => backend.updateSession(id, change, expected)),
    deleteSession: coded('delete a session', (id) => backend.deleteSession(id)),
    getKey: coded('read a key', (address) => backend.getKey(address)),
    listKeys: coded('list keys', () => backend.listKeys()),
    putKey: coded('store a key', (address, value) => backend.putKey(address, value)),
    replaceKey: coded('re-seal a key', (address, expected, next) => backend.replaceKey(address, expected, next)),
    deleteKey: coded('delete a key', (address) => backend.deleteKey(address)),
  }
}

/**
 * A failure of a store's medium as a coded error (see {@link codedBackend}); a keyleash error as it is.
 *
 * @example
 * throw storeError('fileStore ./s.jsonl', 'store a session', error) // InternalError: fileStore ./s.jsonl: could not store a session: ENOSPC
 */
export function storeError(store: string, step: string, error: unknown): KeyleashError {
  if (error instanceof KeyleashError) return error
  const code = (error as { code?: unknown } | undefined)?.code
  const reason = typeof code === 'string' ? code : error instanceof Error ? error.message : String(error)
  return new InternalError(`${store}: could not ${step}: ${reason}`, { store, hint: hints[typeof code === 'string' ? code : ''] ?? defaultHint, cause: causeOf(error) })
}

const defaultHint = 'the store failed; nothing was acknowledged: check the storage, then retry'
const hints: Record<string, string> = {
  ENOSPC: 'the disk is full: nothing was acknowledged; free space, then retry',
  EDQUOT: 'the disk quota is used up: nothing was acknowledged; free space, then retry',
  EACCES: 'this process may not read or write the store: fix its permissions (files are 0600, folders 0700)',
  EPERM: 'this process may not read or write the store: fix its permissions (files are 0600, folders 0700)',
  EROFS: 'the store is on a read-only file system: move it to a writable one',
  EMFILE: 'too many files are open in this process: close some, or raise the limit (ulimit -n)',
  ENFILE: 'too many files are open on this machine: close some, or raise the limit',
  EIO: 'the disk reported an I/O error: check it; the store keeps what was acknowledged',
  ENOENT: 'the store or its folder was removed while in use: make the folder again',
  ENOTDIR: 'a part of the store path is a file, not a folder: choose another path',
}
