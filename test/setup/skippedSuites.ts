import type { Reporter, TestModule } from 'vitest/node'

// What an optional suite needs, told by its file's path or its skip note: why it skips on a
// bare machine, and the command that brings what it needs.
const needs = [
  { match: /redis/i, need: 'redis-server', enable: 'bash scripts/ensure-redis.sh' },
  { match: /chromium|^test\/browser\//i, need: 'Chromium', enable: 'bash scripts/ensure-chromium.sh' },
  { match: /fileLock/, need: 'root, to mount a full disk', enable: 'run the tests as root' },
] as const

/**
 * A vitest reporter that ends a run with one line naming the tests it skipped, what they
 * need and the commands that enable them, so "every test passed" never hides a suite that
 * did not run. Nothing is printed when nothing was skipped.
 */
export default class SkippedSuites implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const byNeed = new Map<string, { count: number; files: Set<string>; enable: string }>()
    for (const module of modules) {
      for (const test of module.children.allTests('skipped')) {
        const result = test.result()
        const note = result.state === 'skipped' ? (result.note ?? '') : ''
        const found = needs.find(({ match }) => match.test(`${module.relativeModuleId} ${note}`))
        const need = found?.need ?? (note || 'a reason of its own')
        const entry = byNeed.get(need) ?? { count: 0, files: new Set<string>(), enable: found?.enable ?? 'see the test' }
        entry.count++
        entry.files.add(module.relativeModuleId)
        byNeed.set(need, entry)
      }
    }
    if (byNeed.size === 0) return
    const parts = [...byNeed].map(([need, { count, files }]) => `${count} need ${need} (${[...files].join(', ')})`)
    const enable = [...new Set([...byNeed.values()].map((entry) => entry.enable))].join(' && ')
    console.log(`\nskipped: ${parts.join('; ')}. Enable them: ${enable}, then npm test`)
  }
}
