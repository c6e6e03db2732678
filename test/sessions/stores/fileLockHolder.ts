// Run as a separate process by fileLock.test.ts: takes the lock, says so, and holds it until killed.
import { withFileLock } from '../../../src/sessions/stores/fileLock.js'

const [lockPath] = process.argv.slice(2)
await withFileLock(lockPath as string, async () => {
  process.stdout.write('held\n')
  // A timer keeps the process alive: a promise alone does not, and the holder would exit.
  await new Promise(() => setInterval(() => undefined, 60_000))
})
