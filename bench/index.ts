/**
 * Runs every `bench/*.bench.ts`, sorted by name, one after another in this one process:
 * `npm run bench` (`node --import tsx bench/index.ts`) prints every figure in one run.
 *
 * What runs is what a user runs: the bench files are first bundled with keyleash the way the
 * package is built (tsup, ES2022, packages left external), into `.bench/`. Run through tsx
 * instead, every function expression that is given a name gets tsx's `__name` helper (an
 * `Object.defineProperty` call, ~0.4 µs) each time it is created, which the published build
 * never pays.
 *
 * The convention for a bench file:
 * - it exports `async function run(): Promise<void>` that registers its mitata benches
 *   and runs them (mitata's `run()` clears what it ran, so files do not see each other's);
 * - it registers nothing at import time, and ends with the line that runs it alone:
 *   `if (process.argv[1] === fileURLToPath(import.meta.url)) await run()`
 *   so `node --import tsx bench/x.bench.ts` works too (through tsx: see above).
 *
 * `npm run bench -- scope` runs only the files whose name contains `scope`.
 */
import { readdir, rm } from 'node:fs/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'tsup'

type BenchModule = { run?: unknown }

const dir = fileURLToPath(new URL('.', import.meta.url))
// Inside the repository, so that the bundles find its node_modules (the dev chain's anvil too).
const out = fileURLToPath(new URL('../.bench/', import.meta.url))
const only = process.argv[2]
const files = (await readdir(dir))
  .filter((name) => name.endsWith('.bench.ts') && (only === undefined || name.includes(only)))
  .sort()

await rm(out, { recursive: true, force: true })
await build({
  config: false,
  entry: Object.fromEntries(files.map((file) => [file.slice(0, -'.ts'.length), dir + file])),
  outDir: out,
  format: ['esm'],
  target: 'es2022',
  platform: 'node',
  splitting: true,
  skipNodeModulesBundle: true,
  dts: false,
  sourcemap: false,
  silent: true,
})

for (const file of files) {
  console.log(`\n# ${file}\n`)
  const module = (await import(pathToFileURL(`${out}${file.slice(0, -'.ts'.length)}.js`).href)) as BenchModule
  // A file that runs itself on import has already printed; say so rather than fail the run.
  if (typeof module.run === 'function') await module.run()
  else console.warn(`(bench/${file} ran on import: export an async run() and guard the self-run, see bench/index.ts)`)
}
