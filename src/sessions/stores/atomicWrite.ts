import { mkdirSync, statSync } from 'node:fs'
import { open, readdir, rename, unlink } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { causeOf, InvalidParamsError } from '../../errors.js'
import { isOrphanedTemporary, temporaryBeside } from './fileLock.js'

/**
 * Replaces `path` with `data` so that a crash at any moment leaves either the old content or
 * the new, never a mix or a truncated file: written whole to a temporary file beside it (mode
 * 0600, so keys at rest are readable by this user only), flushed to disk, renamed over `path`
 * (a rename within one directory is atomic on POSIX file systems), and the folder flushed too,
 * so the rename itself is on disk when this resolves. A write that fails leaves no temporary
 * file; one a crash left is removed by {@link removeStaleTemporaries}.
 *
 * @example
 * await writeFileAtomic('./sessions.jsonl', lines.join('\n'))
 */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  await (await writeFileAside(path, data)).commit()
}

/** A replacement of a file written beside it by {@link writeFileAside}, not yet in place. */
export type AsideFile = {
  /** Appends `data` to the replacement, whole, flushed to disk. */
  append(data: Uint8Array): Promise<void>
  /** Renames the replacement over the file, and flushes the folder. */
  commit(): Promise<void>
  /** Removes the replacement; the file stays as it is. */
  discard(): Promise<void>
}

/**
 * The first half of {@link writeFileAtomic}: `data` written whole to a temporary file beside
 * `path` and flushed, then left there until `commit` renames it into place (after what was
 * `append`ed meanwhile) or `discard` removes it. The costly part (writing and flushing a large
 * file) can so run without a lock that only the rename needs. After a failure the temporary
 * file is gone, and so it is after a commit or a discard; one a crash left is removed by
 * {@link removeStaleTemporaries}.
 *
 * @example
 * const aside = await writeFileAside('./sessions.jsonl', snapshot)
 * await withLock(async () => { await aside.append(tail); await aside.commit() })
 */
export async function writeFileAside(path: string, data: string): Promise<AsideFile> {
  const temporary = temporaryBeside(path)
  const handle = await open(temporary, 'wx', 0o600)
  let isOpen = true
  const discard = async () => {
    if (isOpen) await handle.close().catch(() => undefined)
    isOpen = false
    await unlink(temporary).catch(() => undefined)
  }
  /** Runs `step`; after a failure, nothing is left behind. */
  const whole = async (step: () => Promise<void>) => {
    try {
      await step()
    } catch (error) {
      await discard()
      throw error
    }
  }
  await whole(async () => {
    // `writeFile` writes until every byte is written, or rejects.
    await handle.writeFile(data)
    await handle.sync()
  })
  return {
    append: (bytes) =>
      whole(async () => {
        if (bytes.length === 0) return
        await handle.writeFile(bytes)
        await handle.sync()
      }),
    commit: () =>
      whole(async () => {
        isOpen = false
        await handle.close()
        await rename(temporary, path)
        await syncFolder(dirname(path))
      }),
    discard,
  }
}

/**
 * Flushes a folder's entries to disk (a file created, renamed or removed in it), so that what
 * was acknowledged survives a power cut, not only a crash of the process.
 *
 * @example
 * await unlink(path)
 * await syncFolder(dirname(path))
 */
export async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/**
 * Removes the temporary files ({@link writeFileAtomic}'s, `<name>.<pid>.<hex>[.<namespace>-<boot>].tmp`)
 * that a process killed mid-write left in `folder`, of names starting with `prefix` (a folder
 * may be shared with other files): those whose pid no longer runs, or is a zombie. One of a
 * running process may still be renamed into place, so it stays; so does one written in another
 * PID namespace or boot (another container sharing the folder), whose pid means nothing here
 * (see {@link isOrphanedTemporary}). Resolves to how many it removed.
 *
 * @example
 * await removeStaleTemporaries('./data', 'sessions.jsonl.') // 0
 */
export async function removeStaleTemporaries(folder: string, prefix = ''): Promise<number> {
  let removed = 0
  for (const name of await readdir(folder).catch(() => [])) {
    if (!name.startsWith(prefix) || !isOrphanedTemporary(name)) continue
    await unlink(join(folder, name)).then(
      () => removed++,
      () => undefined,
    )
  }
  return removed
}

/**
 * Makes `folder` and its missing parents (mode 0700), one level at a time, or throws a coded
 * error at once: a parent that is a file, or a place where nothing can be made (`/proc`, a
 * read-only mount, no permission). Node's own recursive `mkdir` spins forever on `/proc`.
 * Bounded: one `stat` per level of the path, one `mkdir` per missing level.
 *
 * @example
 * makeFolder('./data/sessions', 'path')
 */
export function makeFolder(folder: string, field: string): void {
  const missing: string[] = []
  let at = resolve(folder)
  for (;;) {
    let isFolder: boolean
    try {
      isFolder = statSync(at).isDirectory()
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code !== 'ENOENT' || dirname(at) === at) throw cannotMake(field, folder, at, error)
      missing.push(at)
      at = dirname(at)
      continue
    }
    if (!isFolder)
      throw new InvalidParamsError(field, `${at} is a file, so ${folder} cannot be made as a folder under it`, {
        hint: 'choose a path whose parents are folders, or move that file away',
      })
    break
  }
  for (const level of missing.reverse()) {
    try {
      mkdirSync(level, { mode: 0o700 })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && statSync(level, { throwIfNoEntry: false })?.isDirectory()) continue
      throw cannotMake(field, folder, level, error)
    }
  }
}

function cannotMake(field: string, folder: string, level: string, error: unknown): InvalidParamsError {
  const code = (error as NodeJS.ErrnoException).code ?? 'unknown error'
  return new InvalidParamsError(field, `cannot make the folder ${folder}: ${code}${resolve(level) === resolve(folder) ? '' : ` at ${level}`}`, {
    hint:
      code === 'EACCES' || code === 'EPERM'
        ? 'this process may not write there: choose a folder it owns'
        : 'choose a path on a writable disk (not under /proc or /sys, not on a read-only mount)',
    cause: causeOf(error),
  })
}
