import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { removeStaleTemporaries, writeFileAside } from '../../../src/sessions/stores/atomicWrite.js'
import { isRunning } from '../../../src/sessions/stores/fileLock.js'

const root = mkdtempSync(join(tmpdir(), 'keyleash-atomic-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let n = 0
const freshFolder = () => mkdtempSync(join(root, `${n++}-`))

// 2^22 + 1 is above Linux's pid_max: no process has it.
const deadPid = 4194305
// Where this process counts pids, as a temporary file's name says it: its PID namespace's number and the boot id's first 12 hex digits.
const ownTag = `${/\d+/.exec(readlinkSync('/proc/self/ns/pid'))?.[0]}-${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').replaceAll('-', '').slice(0, 12)}`

/** Writes a temporary file named as one of `pid` in the PID space `tag` (none: the older form) and answers its name. */
function plant(folder: string, pid: number, tag?: string): string {
  const name = `log.jsonl.${pid}.deadbeef${tag === undefined ? '' : `.${tag}`}.tmp`
  writeFileSync(join(folder, name), 'half')
  return name
}

describe('removeStaleTemporaries', () => {
  test('behavior: a temporary file of this PID namespace whose writer is gone is removed; one being written by a live process stays', async () => {
    const folder = freshFolder()
    const gone = plant(folder, deadPid, ownTag)
    const aside = await writeFileAside(join(folder, 'log.jsonl'), 'snapshot')
    const [inFlight] = readdirSync(folder).filter((name) => name !== gone)
    expect(inFlight).toBe(`log.jsonl.${process.pid}.${inFlight?.split('.')[3]}.${ownTag}.tmp`)
    expect(await removeStaleTemporaries(folder, 'log.jsonl.')).toBe(1)
    expect(readdirSync(folder)).toStrictEqual([inFlight])
    await aside.commit()
    expect(readdirSync(folder)).toStrictEqual(['log.jsonl'])
  })

  test('behavior: a temporary file of another PID namespace (a container sharing the folder) is never removed for its pid: its writer may still rename it into place; one of an earlier boot is removed, whatever its pid', async () => {
    const folder = freshFolder()
    const otherNamespace = plant(folder, deadPid, `4026599999-${ownTag.split('-')[1]}`)
    plant(folder, process.pid, `${ownTag.split('-')[0]}-000000000000`)
    expect(await removeStaleTemporaries(folder, 'log.jsonl.')).toBe(1)
    expect(readdirSync(folder)).toStrictEqual([otherNamespace])
  })

  test('behavior: a temporary file of the older form (no namespace: an older keyleash) is judged by its pid, as before', async () => {
    const folder = freshFolder()
    plant(folder, deadPid)
    const alive = plant(folder, process.pid)
    expect(await removeStaleTemporaries(folder, 'log.jsonl.')).toBe(1)
    expect(readdirSync(folder)).toStrictEqual([alive])
  })

  test('behavior: a temporary file whose writer died but was not reaped (a zombie, which kill(pid, 0) still finds) is removed', async () => {
    const folder = freshFolder()
    // `sleep` becomes the writer's parent and never reaps it.
    const parent = spawn('sh', ['-c', 'true & echo "$!"; exec sleep 60'], { stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      const writer = await new Promise<number>((resolve, reject) => {
        parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())))
        parent.on('exit', (code) => reject(new Error(`the writer's parent exited (${code}) first`)))
      })
      const state = () => readFileSync(`/proc/${writer}/stat`, 'utf8').split(') ')[1]?.[0]
      while (state() !== 'Z') await new Promise((resolve) => setTimeout(resolve, 10))
      expect(isRunning(writer)).toBe(true)
      const name = plant(folder, writer, ownTag)
      expect(await removeStaleTemporaries(folder, 'log.jsonl.')).toBe(1)
      expect(existsSync(join(folder, name))).toBe(false)
    } finally {
      parent.kill('SIGKILL')
    }
  })
})
