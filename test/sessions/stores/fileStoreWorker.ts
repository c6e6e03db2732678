/**
 * A second process on a file store, for fileStore.process.test.ts:
 * `node --import tsx fileStoreWorker.ts <path> <attempts> <limit> [compactAbove]` tries
 * `attempts` concurrent reservations of session 0xc0ffee under a call limit and prints how
 * many it got.
 */
import { fileStore } from '../../../src/sessions/stores/fileStore.js'

const [path, attempts, limit, compactAbove] = process.argv.slice(2)
const store = fileStore(path!, { plaintextKeys: true, compactAbove: compactAbove === undefined ? undefined : Number(compactAbove) })
let reserved = 0
await Promise.all(
  Array.from({ length: Number(attempts) }, async () => {
    let wrote = false
    await store.update('0xc0ffee', (s) => {
      wrote = s.usage.calls < Number(limit)
      return wrote ? { ...s, usage: { ...s.usage, calls: s.usage.calls + 1 } } : undefined
    })
    if (wrote) reserved++
  }),
)
process.stdout.write(String(reserved))
