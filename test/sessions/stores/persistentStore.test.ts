import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import type { StoreBackend } from '../../../src/sessions/stores/backend.js'
import { fileStore } from '../../../src/sessions/stores/fileStore.js'
import { logFileBackend } from '../../../src/sessions/stores/logFileBackend.js'
import { keyRingOf } from '../../../src/sessions/stores/options.js'
import { createPersistentStore } from '../../../src/sessions/stores/persistentStore.js'
import type { Session } from '../../../src/sessions/types.js'
import { sessionFixture } from '../../utils/sessionFixture.js'

const root = mkdtempSync(join(tmpdir(), 'keyleash-persistent-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const encryptionKey = `0x${'42'.repeat(32)}` as const

test('behavior: a reader between a revoke\'s two writes (tombstone, then record) reads the session revoked and reports nothing', async () => {
  const path = join(root, 'between.jsonl')
  const errors: unknown[] = []
  const reader = fileStore(path, { encryptionKey, onError: (error) => errors.push(error) })
  const medium = logFileBackend(path, 'keyleash', { compactAbove: 1_000, report: (error) => errors.push(error) })
  const seen: (Session | undefined)[] = []
  // The revoker's own medium, the real log: right before the record's write, another store reads.
  const between: StoreBackend = {
    ...medium,
    async updateSession(id, change) {
      if (!id.startsWith('\u0000')) seen.push(await reader.get(id), ...(await reader.list()))
      return medium.updateSession(id, change)
    },
  }
  const revoker = createPersistentStore(between, { cipher: keyRingOf({ encryptionKey }, 'fileStore'), scope: undefined, onError: (error) => errors.push(error) })
  await revoker.put(sessionFixture())
  await revoker.update('0xc0ffee', (s) => ({ ...s, status: 'revoked' }))
  expect(seen.map((session) => session?.status)).toStrictEqual(['revoked', 'revoked'])
  expect((await reader.get('0xc0ffee'))?.status).toBe('revoked')
  expect(errors).toStrictEqual([])
})
