import { createHash } from 'node:crypto'
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
 * Names are percent-encoded, so no id can climb out of the folder or hide as `.`/`..`. A name
 * whose encoding is longer than 180 characters (a MetaMask context runs to thousands) is filed
 * as `~<SHA-256 of it>.json` instead, its encoded name on the file's first line: a file name has
 * at most 255 bytes, and the lock's temporary files add up to 75 to it. A file of an older
 * keyleash under the long name itself (it could store names of up to ~220) is still read, and
 * moved under the hash by the next write.
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
  const session = (id: string) => entryFile(sessions, id)
  const key = (address: string) => entryFile(keys, address)
  // Each write checks, right before it lands, that its lock is still its own (see withFileLock).
  const guarded = <T>(lockPath: string, task: (ready: () => Promise<void>) => Promise<T>) =>
    withFileLock(lockPath, (held) =>
      task(async () => {
        await cleaned
        held.assertHeld()
      }),
    )
  // The entry's file found once per operation: a long name costs an encoding and a SHA-256.
  const locked = <T>(id: string, task: (entry: EntryFile, ready: () => Promise<void>) => Promise<T>) => {
    const entry = session(id)
    return inProcess.run(id, () => guarded(`${entry.path}.lock`, (ready) => task(entry, ready)))
  }
  const inProcessKeys = keyedMutex()
  const lockedKey = <T>(address: string, task: (entry: EntryFile, ready: () => Promise<void>) => Promise<T>) => {
    const entry = key(address)
    return inProcessKeys.run(address, () => guarded(`${entry.path}.lock`, (ready) => task(entry, ready)))
  }

  return {
    name: `fileStore ${folder}`,
    getSession: (id) => session(id).read(),
    listSessions: () => listFolder(sessions),
    putSession(id, value, keyAddress) {
      return locked(id, async (entry, ready) => {
        if ((await entry.read()) !== undefined) return 'exists'
        if (keyAddress !== undefined && (await key(keyAddress).read()) === undefined) return 'no-key'
        await ready()
        await entry.write(value)
        return 'stored'
      })
    },
    updateSession(id, change) {
      return locked(id, async (entry, ready) => {
        const current = await entry.read()
        if (current === undefined) return undefined
        const next = change(current)
        if (next === undefined) return false
        await ready()
        await entry.write(next)
        return true
      })
    },
    deleteSession(id) {
      return locked(id, async (entry, ready) => {
        const current = await entry.read()
        if (current === undefined) return undefined
        await ready()
        await entry.remove()
        return current
      })
    },
    getKey: (address) => key(address).read(),
    listKeys: () => listFolder(keys),
    putKey: (address, value) =>
      lockedKey(address, async (entry, ready) => {
        await ready()
        await entry.write(value)
      }),
    replaceKey: (address, expected, next) =>
      lockedKey(address, async (entry, ready) => {
        if ((await entry.read()) !== expected) return false
        await ready()
        await entry.write(next)
        return true
      }),
    deleteKey: (address) =>
      lockedKey(address, async (entry, ready) => {
        await ready()
        await entry.remove()
      }),
  }
}

// A file name has at most 255 bytes; a lock's temporary file adds up to 75 to an entry's name
// (`.json.lock.<pid>.<8 hex>.<namespace>-<12 hex>.tmp`, fileLock.ts temporaryBeside).
const longestName = 180
// The longest entry name an older keyleash wrote as it is (`<name>.json` in 255 bytes).
const longestLegacyName = 250

/** An entry's file, as {@link entryFile} finds it. */
type EntryFile = ReturnType<typeof entryFile>

/**
 * The file of the entry `name` in `folder`: `<encoded name>.json`, or, when that is too long,
 * `~<SHA-256 of the encoded name>.json` holding the encoded name on its first line (`~` is
 * never the start of an encoded name), so a listing still knows whose it is.
 */
function entryFile(folder: string, name: string) {
  const encoded = fileName(name)
  const plain = join(folder, `${encoded}.json`)
  if (encoded.length <= longestName) return { path: plain, read: () => readIfAny(plain), write: (value: string) => writeFileAtomic(plain, value), remove: () => removeFile(plain) }
  const path = join(folder, `~${createHash('sha256').update(encoded).digest('hex')}.json`)
  const legacy = encoded.length <= longestLegacyName ? plain : undefined
  return {
    path,
    read: async () => {
      const text = await readIfAny(path)
      return text === undefined ? legacy && readIfAny(legacy) : valueOf(text, encoded)
    },
    write: async (value: string) => {
      await writeFileAtomic(path, `${encoded}\n${value}`)
      if (legacy) await removeFile(legacy)
    },
    remove: async () => {
      await removeFile(path)
      if (legacy) await removeFile(legacy)
    },
  }
}

/** The value in a hashed file: after its first line, when that names `encoded`; else all of it, which no codec reads (reported as damaged). */
function valueOf(text: string, encoded: string): string {
  const end = text.indexOf('\n')
  return end !== -1 && text.slice(0, end) === encoded ? text.slice(end + 1) : text
}

/** Removes a file, flushing its folder, so an acknowledged delete (a revoked key) is gone for good; one already gone costs no flush (whoever removed it flushed). */
async function removeFile(path: string): Promise<void> {
  const removed = await unlink(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? false : Promise.reject(error)),
  )
  if (removed) await syncFolder(dirname(path))
}

/** Percent-encoding, plus the characters `encodeURIComponent` leaves that matter in file names. */
function fileName(name: string): string {
  return encodeURIComponent(name).replace(/[!'()*.~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

// Small files read synchronously cost ~7 µs each; through libuv's pool (a job each for open,
// stat, read and close) ~50 µs: 10,000 sessions hydrate in 70 ms instead of 500. In slices,
// so the event loop still turns every couple of milliseconds.
const readSlice = 256

/** Every entry of `folder`, as `[name, content]`; of an entry in both an older keyleash's file and its hashed one, the hashed one (written since). */
async function listFolder(folder: string): Promise<[string, string][]> {
  const names = (await readdir(folder)).filter((name) => name.endsWith('.json'))
  const found = new Map<string, { value: string; hashed: boolean }>()
  for (let start = 0; start < names.length; start += readSlice) {
    if (start > 0) await nextTurn()
    for (const name of names.slice(start, start + readSlice)) {
      const text = readIfAnySync(join(folder, name))
      if (text === undefined) continue
      const hashed = name.startsWith('~')
      const line = hashed ? text.indexOf('\n') : -1
      // A hashed file without its name line is listed under its file name: the store then reports it as damaged.
      const encoded = line > 0 ? text.slice(0, line) : name.slice(0, -'.json'.length)
      const entry = decodedName(encoded)
      if (hashed || !found.get(entry)?.hashed) found.set(entry, { value: hashed ? valueOf(text, encoded) : text, hashed })
    }
  }
  return [...found].map(([entry, { value }]) => [entry, value])
}

/** An encoded name decoded; one that is not an encoding (a file someone else put there) as it is. */
function decodedName(encoded: string): string {
  try {
    return decodeURIComponent(encoded)
  } catch {
    return encoded
  }
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
