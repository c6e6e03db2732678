/**
 * Runs every `bench/*.bench.ts`, sorted by name, one after another, each in a Node process of
 * its own: `npm run bench` (`node --import tsx bench/index.ts`) prints every figure in one run.
 * A process each, so that no bench measures in the heap another left behind: run in one
 * process, the session-signed send measured 1.034× its floor after the scaling bench's
 * 10,000-session stores, 1.025× alone.
 *
 * What runs is what a user runs: the bench files are first bundled with keyleash the way the
 * package is built (tsup, ES2022, packages left external), into `.bench/`. Run through tsx
 * instead, every function expression that is given a name gets tsx's `__name` helper (an
 * `Object.defineProperty` call, ~0.4 µs) each time it is created, which the published build
 * never pays.
 *
 * The convention for a bench file: it registers and runs its benches in an exported
 * `async function run(): Promise<void>`, and ends with the line that runs it when it is the
 * entry point: `if (process.argv[1] === fileURLToPath(import.meta.url)) await run()`. That line
 * is how this runner starts it, and how `node --import tsx bench/x.bench.ts` runs it alone
 * (through tsx: see above).
 *
 * Every `bench/*.bench.ts` is found by its name: a new bench file needs no list kept here. The
 * machine's load is printed before each, since on a shared machine it says how far to trust
 * the figures; bench/timing.ts is the one way to time (paired rounds in rotating order, CPU
 * beside wall, medians of per-round ratios with their spread, throughput over total time).
 *
 * `npm run bench -- scope` runs only the files whose name contains `scope`.
 */
import { spawnSync } from 'node:child_process'
import { readdir, rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { build } from 'tsup'
import { inlineErrorCodes } from '../scripts/inlineErrorCodes.js'
import { loadLine } from './timing.js'

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
  // keyleash's core entry too, built as the package is, for the cold-import bench.
  entry: { ...Object.fromEntries(files.map((file) => [file.slice(0, -'.ts'.length), dir + file])), keyleash: fileURLToPath(new URL('../src/index.ts', import.meta.url)) },
  noExternal: ['@metamask/rpc-errors'],
  esbuildPlugins: [inlineErrorCodes],
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

console.log(`npm run bench: ${files.length} files; ${loadLine()}`)
for (const file of files) {
  console.log(`\n# ${file} (${loadLine()})\n`)
  const { status, signal } = spawnSync(process.execPath, [`${out}${file.slice(0, -'.ts'.length)}.js`], { stdio: 'inherit' })
  if (status !== 0) throw new Error(`bench/${file} failed (${signal ?? `exit code ${status}`})`)
}
console.log(`\nnpm run bench: done; ${loadLine()}`)
