import { build, type Metafile } from 'esbuild'
import { describe, expect, test } from 'vitest'
import { memoryKeyStore } from '../../src/sessions/keyStore.js'
import { secp256k1Accounts } from '../../src/sessions/secp256k1Accounts.js'

/** What an entry of keyleash loads before its code runs: every module its static imports reach, as a bundler splits it. */
async function staticallyLoaded(entry: string): Promise<{ loaded: Set<string>; dynamic: Set<string> }> {
  const { metafile } = await build({
    entryPoints: [entry],
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'neutral',
    packages: 'external',
    write: false,
    outdir: 'out',
    metafile: true,
    logLevel: 'silent',
  })
  const outputs: Metafile['outputs'] = metafile.outputs
  const [start] = Object.keys(outputs).filter((path) => outputs[path]?.entryPoint !== undefined)
  const loaded = new Set<string>()
  const dynamic = new Set<string>()
  const walk = (path: string) => {
    if (loaded.has(path)) return
    loaded.add(path)
    for (const imported of outputs[path]?.imports ?? []) {
      if (imported.kind === 'dynamic-import') dynamic.add(imported.path)
      else walk(imported.path)
    }
  }
  if (start !== undefined) walk(start)
  return { loaded, dynamic }
}

describe('secp256k1Accounts', () => {
  test("behavior: importing keyleash loads no secp256k1 curve code: viem/accounts is imported when a key is first made or opened, not before (a cold start that does not grant never pays it)", async () => {
    const { loaded, dynamic } = await staticallyLoaded('src/index.ts')
    expect(loaded.has('viem')).toBe(true)
    expect(loaded.has('viem/accounts')).toBe(false)
    expect(dynamic.has('viem/accounts')).toBe(true)
  })

  test('behavior: a key made is a viem account that signs, and viem/accounts is loaded once', async () => {
    const keys = memoryKeyStore()
    const address = await keys.generate()
    const signer = await keys.signer(address)
    expect(signer?.address).toBe(address)
    expect(await signer?.signMessage({ message: 'hello' })).toMatch(/^0x[0-9a-f]{130}$/)
    expect(secp256k1Accounts()).toBe(secp256k1Accounts())
  })
})
