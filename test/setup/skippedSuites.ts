import type { Reporter, TestCase, TestModule, TestSuite } from 'vitest/node'

// What an optional suite needs, told by its file's path or its skip note: why it skips on a
// bare machine, and the command that brings what it needs.
const needs = [
  { match: /redis/i, need: 'redis-server', enable: 'bash scripts/ensure-redis.sh' },
  { match: /chromium|^test\/browser\//i, need: 'Chromium', enable: 'bash scripts/ensure-chromium.sh' },
  { match: /fileLock/, need: 'root, to mount a full disk and to start a holder in a PID namespace of its own (unshare)', enable: 'run the tests as root' },
] as const

/**
 * A vitest reporter that ends a run with one line naming the tests it skipped, what they
 * need and the commands that enable them, so "every test passed" never hides a suite that
 * did not run. Nothing is printed when nothing was skipped.
 */
export default class SkippedSuites implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const byNeed = new Map<string, { count: number; files: Set<string>; enable: string }>()
    const notRun = new Map<string, { count: number; error: string }>()
    for (const module of modules) {
      for (const test of module.children.allTests('skipped')) {
        // A test left unrun because a hook around it failed (a beforeAll that timed out under
        // load) failed: it is counted as such, never as a skip that needs something.
        const setupError = failedSetup(test)
        if (setupError !== undefined) {
          const entry = notRun.get(module.relativeModuleId) ?? { count: 0, error: setupError }
          entry.count++
          notRun.set(module.relativeModuleId, entry)
          continue
        }
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
    if (notRun.size > 0) {
      const parts = [...notRun].map(([file, { count, error }]) => `${count} in ${file} (${error})`)
      console.log(`\nfailed: ${parts.join('; ')}: their setup failed, so they did not run`)
    }
    if (byNeed.size === 0) return
    const parts = [...byNeed].map(([need, { count, files }]) => `${count} need ${need} (${[...files].join(', ')})`)
    const enable = [...new Set([...byNeed.values()].map((entry) => entry.enable))].join(' && ')
    console.log(`\nskipped: ${parts.join('; ')}. Enable them: ${enable}, then npm test`)
  }
}

/** The first error of a suite or module around `test` (a failed or timed-out hook), if one failed. */
function failedSetup(test: TestCase): string | undefined {
  for (let at: TestSuite | TestModule = test.parent; ; at = at.parent) {
    const error = at.errors()[0]
    if (error !== undefined) return error.message.split('\n')[0]
    if (at.type === 'module') return undefined
  }
}
