/**
 * Runs every `bench/*.bench.ts`, sorted by name, one after another in this one process:
 * `npm run bench` (`node --import tsx bench/index.ts`) prints every figure in one run.
 *
 * The convention for a bench file:
 * - it exports `async function run(): Promise<void>` that registers its mitata benches
 *   and runs them (mitata's `run()` clears what it ran, so files do not see each other's);
 * - it registers nothing at import time, and ends with the line that runs it alone:
 *   `if (process.argv[1] === fileURLToPath(import.meta.url)) await run()`
 *   so `node --import tsx bench/x.bench.ts` works too.
 *
 * `npm run bench -- scope` runs only the files whose name contains `scope`.
 */
import { readdir } from 'node:fs/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'

type BenchModule = { run?: unknown }

const dir = fileURLToPath(new URL('.', import.meta.url))
const only = process.argv[2]
const files = (await readdir(dir))
  .filter((name) => name.endsWith('.bench.ts') && (only === undefined || name.includes(only)))
  .sort()

for (const file of files) {
  console.log(`\n# ${file}\n`)
  const module = (await import(pathToFileURL(dir + file).href)) as BenchModule
  // A file that runs itself on import has already printed; say so rather than fail the run.
  if (typeof module.run === 'function') await module.run()
  else console.warn(`(bench/${file} ran on import: export an async run() and guard the self-run, see bench/index.ts)`)
}
