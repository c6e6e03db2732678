import { readFileSync } from 'node:fs'
import { readdir, readFile, unlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { StoreBackend } from './backend.js'
import { makeFolder, removeStaleTemporaries, syncFolder, writeFileAtomic } from './atomicWrite.js'
import { withFileLock } from './fileLock.js'
import { keyedMutex } from './mutex.js'

/**
 * The folder layout of `fileStore`: `<folder>/<partition>/s/<id>.json` per session and
 * `<folder>/<partition>/k/<address>.json` per key, each written atomically; a session's
 * writes hold `<id>.json.lock`, so updates of different sessions do not wait for each other;
 * a key's writes hold `<address>.json.lock`, so a re-seal never brings back a key just deleted.
 * Names are percent-encoded, so no id can climb out of the folder or hide as `.`/`..`.
 *
 * @example
 * const backend = folderBackend('./data/sessions/', 'keyleash')
 */
export function folderBackend(folder: string, partition: string): StoreBackend {
  const root = join(folder, fileName(partition))
  const sessions = join(root, 's')
  const keys = join(root, 'k')
  makeFolder(sessions, 'path')
  makeFolder(keys, 'path')
  // Temporary files and lock-making files a kill left: removed before the first write, in the background.
  const cleaned = Promise.all([removeStaleTemporaries(sessions), removeStaleTemporaries(keys)]).catch(() => undefined)
  const inProcess = keyedMutex()
  const sessionPath = (id: string) => join(sessions, `${fileName(id)}.json`)
  const keyPath = (address: string) => join(keys, `${fileName(address)}.json`)
  // Each write checks, right before it lands, that its lock is still its own (see withFileLock).
  const guarded = <T>(lockPath: string, task: (ready: () => Promise<void>) => Promise<T>) =>
    withFileLock(lockPath, (held) =>
      task(async () => {
        await cleaned
        held.assertHeld()
      }),
    )
  const locked = <T>(id: string, task: (ready: () => Promise<void>) => Promise<T>) => inProcess.run(id, () => guarded(`${sessionPath(id)}.lock`, task))
  const inProcessKeys = keyedMutex()
  const lockedKey = <T>(address: string, task: (ready: () => Promise<void>) => Promise<T>) =>
    inProcessKeys.run(address, () => guarded(`${keyPath(address)}.lock`, task))
  /** Removes a file, flushing its folder, so an acknowledged delete (a revoked key) is gone for good. */
  const remove = async (path: string) => {
    await unlink(path).catch(ignoreMissing)
    await syncFolder(dirname(path))
  }

  return {
    name: `fileStore ${folder}`,
    getSession: (id) => readIfAny(sessionPath(id)),
    listSessions: () => listFolder(sessions),
    putSession(id, value, keyAddress) {
      return locked(id, async (ready) => {
        if ((await readIfAny(sessionPath(id))) !== undefined) return 'exists'
        if (keyAddress !== undefined && (await readIfAny(keyPath(keyAddress))) === undefined) return 'no-key'
        await ready()
        await writeFileAtomic(sessionPath(id), value)
        return 'stored'
      })
    },
    updateSession(id, change) {
      return locked(id, async (ready) => {
        const current = await readIfAny(sessionPath(id))
        if (current === undefined) return undefined
        const next = change(current)
        if (next === undefined) return false
        await ready()
        await writeFileAtomic(sessionPath(id), next)
        return true
      })
    },
    deleteSession(id) {
      return locked(id, async (ready) => {
        const current = await readIfAny(sessionPath(id))
        if (current === undefined) return undefined
        await ready()
        await remove(sessionPath(id))
        return current
      })
    },
    getKey: (address) => readIfAny(keyPath(address)),
    listKeys: () => listFolder(keys),
    putKey: (address, value) =>
      lockedKey(address, async (ready) => {
        await ready()
        await writeFileAtomic(keyPath(address), value)
      }),
    replaceKey: (address, expected, next) =>
      lockedKey(address, async (ready) => {
        if ((await readIfAny(keyPath(address))) !== expected) return false
        await ready()
        await writeFileAtomic(keyPath(address), next)
        return true
      }),
    deleteKey: (address) =>
      lockedKey(address, async (ready) => {
        await ready()
        await remove(keyPath(address))
      }),
  }
}

/** Percent-encoding, plus the characters `encodeURIComponent` leaves that matter in file names. */
function fileName(name: string): string {
  return encodeURIComponent(name).replace(/[!'()*.~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

// Small files read synchronously cost ~7 µs each; through libuv's pool (a job each for open,
// stat, read and close) ~50 µs: 10,000 sessions hydrate in 70 ms instead of 500. In slices,
// so the event loop still turns every couple of milliseconds.
const readSlice = 256

/** Every `<name>.json` of `folder`, as `[name, content]`. */
async function listFolder(folder: string): Promise<[string, string][]> {
  const names = (await readdir(folder)).filter((name) => name.endsWith('.json'))
  const found: [string, string][] = []
  for (let start = 0; start < names.length; start += readSlice) {
    if (start > 0) await nextTurn()
    for (const name of names.slice(start, start + readSlice)) {
      const value = readIfAnySync(join(folder, name))
      if (value !== undefined) found.push([decodeURIComponent(name.slice(0, -'.json'.length)), value])
    }
  }
  return found
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

function readIfAnySync(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

async function readIfAny(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(error)))
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error
}
