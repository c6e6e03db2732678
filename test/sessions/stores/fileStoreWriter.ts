/**
 * A process that writes to a one-file store until it is killed, for fileStore.process.test.ts:
 * `node --import tsx fileStoreWriter.ts <path> <compactAbove>` counts calls of session 0xc0ffee
 * one update at a time and prints each count once it is stored (acknowledged), one a line.
 */
import { fileStore } from '../../../src/sessions/stores/fileStore.js'

const [path, compactAbove] = process.argv.slice(2)
const store = fileStore(path!, { plaintextKeys: true, compactAbove: Number(compactAbove) })
for (;;) {
  const stored = await store.update('0xc0ffee', (s) => ({ ...s, usage: { ...s.usage, calls: s.usage.calls + 1 } }))
  process.stdout.write(`${stored?.usage.calls}\n`)
}
