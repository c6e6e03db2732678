import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** Everything a file store holds at `path` (its log, or every file of its folder), as one string; `''` when nothing is there yet. */
export function readAll(path: string): string {
  if (!statSync(path, { throwIfNoEntry: false })) return ''
  if (!statSync(path).isDirectory()) return readFileSync(path, 'utf8')
  return readdirSync(path, { recursive: true, encoding: 'utf8' })
    .map((name) => join(path, name))
    .filter((file) => statSync(file).isFile())
    .map((file) => readFileSync(file, 'utf8'))
    .join('\n')
}
