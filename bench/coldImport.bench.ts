// What importing keyleash costs a fresh Node process (a serverless function's cold start, a
// CLI), against importing viem alone, which keyleash needs anyway: each import in a process of
// its own, paired in rounds whose order rotates (viem first, then keyleash first), the median
// of per-round ratios in CPU and wall time. keyleash is the core entry as the package builds it
// (bench/index.ts bundles it into .bench/keyleash.js). Target: ≤ 1.1× viem alone.
// Run through the runner only: npm run bench -- coldImport
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { verdict } from './instantWallet.js'
import { formatRatio, printLoad, spread } from './timing.js'

const target = 1.1
const rounds = 21

/** Wall and CPU ms of one `import()` in a fresh process, timed inside it (Node's own start left out). */
function importOnce(specifier: string): { wall: number; cpu: number } {
  const script = `const c = process.cpuUsage(), t = performance.now(); await import(${JSON.stringify(specifier)}); const u = process.cpuUsage(c); process.stdout.write(JSON.stringify({ wall: performance.now() - t, cpu: (u.user + u.system) / 1000 }))`
  // From the repository, so that `viem` resolves to the same install keyleash's bundle uses.
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' })
  if (child.status !== 0) throw new Error(`coldImport bench: importing ${specifier} failed: ${child.stderr}`)
  return JSON.parse(child.stdout) as { wall: number; cpu: number }
}

export async function run(): Promise<void> {
  const keyleash = new URL('./keyleash.js', import.meta.url)
  if (!existsSync(keyleash)) throw new Error('coldImport bench: .bench/keyleash.js is missing; run it through `npm run bench -- coldImport`')
  printLoad('coldImport')
  const sides = { viem: 'viem', keyleash: keyleash.href }
  const times = { viem: [] as number[], keyleash: [] as number[] }
  const wallRatios: number[] = []
  const cpuRatios: number[] = []
  importOnce('viem') // the file system's cache, warmed for both
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['viem', 'keyleash'] as const) : (['keyleash', 'viem'] as const)
    const measured = Object.fromEntries(order.map((side) => [side, importOnce(sides[side])])) as Record<'viem' | 'keyleash', { wall: number; cpu: number }>
    times.viem.push(measured.viem.wall)
    times.keyleash.push(measured.keyleash.wall)
    wallRatios.push(measured.keyleash.wall / measured.viem.wall)
    cpuRatios.push(measured.keyleash.cpu / measured.viem.cpu)
  }
  const cpu = spread(cpuRatios)
  console.log(`cold import, keyleash / viem alone: median of ${rounds} rounds' ratios (a fresh process each, order rotating)`)
  console.log(`  CPU  ${formatRatio(cpu)}; target ≤ ${target}×: ${verdict(cpu.median <= target)}`)
  console.log(`  wall ${formatRatio(spread(wallRatios))}`)
  console.log(`  import time (medians): keyleash ${spread(times.keyleash).median.toFixed(1)} ms, viem ${spread(times.viem).median.toFixed(1)} ms wall`)
  printLoad('coldImport')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run()
