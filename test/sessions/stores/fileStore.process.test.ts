import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, expect, test } from 'vitest'
import { fileStore } from '../../../src/sessions/stores/fileStore.js'
import { sessionFixture } from '../../utils/sessionFixture.js'

const root = mkdtempSync(join(tmpdir(), 'keyleash-processes-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const worker = fileURLToPath(new URL('./fileStoreWorker.ts', import.meta.url))
const run = promisify(execFile)

test.each(['store.jsonl', 'folder/'])('behavior: two processes on one file store (%s) reserve a call limit of 9 exactly, 60 attempts each', async (name) => {
  const path = join(root, name)
  await fileStore(path, { plaintextKeys: true }).put(sessionFixture())
  const results = await Promise.all([0, 1].map(() => run(process.execPath, ['--import', 'tsx', worker, path, '60', '9'])))
  const reserved = results.map(({ stdout }) => Number(stdout))
  expect(reserved[0]! + reserved[1]!).toBe(9)
  expect((await fileStore(path, { plaintextKeys: true }).get('0xc0ffee'))?.usage.calls).toBe(9)
}, 30_000)
