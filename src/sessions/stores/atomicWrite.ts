import { randomBytes } from 'node:crypto'
import { open, rename, unlink } from 'node:fs/promises'

/**
 * Replaces `path` with `data` so that a crash at any moment leaves either the old content or
 * the new, never a mix or a truncated file: written to a temporary file beside it (mode 0600,
 * so keys at rest are readable by this user only), flushed to disk, then renamed over `path`
 * (a rename within one directory is atomic on POSIX file systems).
 *
 * @example
 * await writeFileAtomic('./sessions.jsonl', lines.join('\n'))
 */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  const handle = await open(temporary, 'wx', 0o600)
  try {
    await handle.writeFile(data)
    await handle.sync()
  } catch (error) {
    await handle.close()
    await unlink(temporary).catch(() => undefined)
    throw error
  }
  await handle.close()
  try {
    await rename(temporary, path)
  } catch (error) {
    await unlink(temporary).catch(() => undefined)
    throw error
  }
}
