import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { build, transform } from 'esbuild'
import { generatePrivateKey } from 'viem/accounts'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { snippets } from '../utils/readmeSnippets.js'

/*
 * keyleash as an app gets it from the registry: packed with `npm pack` from a copy of the sources
 * with no dist/ (as a fresh clone has them, so the package's own prepack must build it),
 * installed from the tarball in an empty folder next to viem (offline from the npm cache when it
 * can), then imported from ESM and from CommonJS, every entry. The copy keeps a build running in
 * the work tree at the same time undisturbed.
 */

const run = promisify(execFile)
const root = process.cwd()
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; exports: Record<string, unknown> }
const versionOf = (name: string) => (JSON.parse(readFileSync(join(root, `node_modules/${name}/package.json`), 'utf8')) as { version: string }).version
const entries = Object.keys(pkg.exports).filter((entry) => entry !== './package.json').map((entry) => entry.replace(/^\./, 'keyleash'))
const work = mkdtempSync(join(tmpdir(), 'keyleash-pack-'))
const consumer = join(work, 'consumer')

beforeAll(async () => {
  // What a fresh clone has, with no dist/: `npm pack` must build it itself (prepack).
  const staging = join(work, 'staging')
  for (const file of ['package.json', 'README.md', 'tsconfig.json', 'tsup.config.ts', 'scripts', 'src'])
    cpSync(join(root, file), join(staging, file), { recursive: true })
  symlinkSync(join(root, 'node_modules'), join(staging, 'node_modules'), 'dir')
  await run('npm', ['pack', '--pack-destination', work, '--silent'], { cwd: staging })
  const tarball = join(work, `keyleash-${pkg.version}.tgz`)

  mkdirSync(consumer)
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true }))
  // anvil for keyleash/devwallet, as the README's install line says.
  const install = ['install', '--no-audit', '--no-fund', '--no-package-lock', tarball, `viem@${versionOf('viem')}`, `@foundry-rs/anvil@${versionOf('@foundry-rs/anvil')}`]
  // Offline first: everything keyleash needs is in the cache of a machine that ran `npm ci`.
  await run('npm', [...install, '--offline'], { cwd: consumer }).catch(() => run('npm', install, { cwd: consumer }))
  // Packing builds every entry first: minutes on a busy machine.
}, 600_000)

// The consumer app's node_modules (the dev chain, Openfort's SDK, MetaMask's kit) take a while to delete on a busy machine.
afterAll(() => rmSync(work, { recursive: true, force: true }), 120_000)

/** A script that loads every entry and uses the core one, printed as JSON. */
function script(load: (entry: string) => string): string {
  return `
${entries.map((entry, i) => `const m${i} = ${load(entry)}`).join('\n')}
const { withSessionKeys } = m0
const inner = { request: async ({ method }) => (method === 'eth_chainId' ? '0x7a69' : null) }
const provider = withSessionKeys(inner)
const chainId = await provider.request({ method: 'eth_chainId' })
const refused = await provider.request({ method: 'wallet_grantPermissions', params: [{ expiry: 0, permissions: [] }] }).catch((e) => e.code)
console.log(JSON.stringify({ exports: [${entries.map((_, i) => `Object.keys(m${i}).sort()`).join(', ')}], chainId, refused }))
`
}

async function runScript(file: string, code: string): Promise<{ exports: string[][]; chainId: string; refused: number }> {
  writeFileSync(join(consumer, file), code)
  const { stdout } = await run(process.execPath, [file], { cwd: consumer })
  return JSON.parse(stdout)
}

test('default: the tarball holds the built entries, their types and the sources their maps point to, nothing else', async () => {
  const { stdout } = await run('tar', ['-tzf', join(work, `keyleash-${pkg.version}.tgz`)])
  const files = stdout.split('\n').filter(Boolean)
  for (const entry of ['index', 'browser', 'node', 'wagmi', 'wallets', 'devwallet/index'])
    for (const ext of ['js', 'cjs', 'd.ts', 'd.cts']) expect(files).toContain(`package/dist/${entry}.${ext}`)
  expect(files.filter((f) => !/^package\/(dist|src)\/|^package\/(package\.json|README\.md|LICENSE)$/.test(f))).toStrictEqual([])
  expect(files.some((f) => f.startsWith('package/test/'))).toBe(false)
})

test('default: every entry imports from ESM, and the core one works', async () => {
  const result = await runScript('esm.mjs', script((entry) => `await import('${entry}')`))
  expect(result.chainId).toBe('0x7a69')
  expect(result.refused).toBe(-32602)
  expect(result.exports[0]).toContain('withSessionKeys')
  // The opt-ins an app imports from the core entry, so that only then are they bundled.
  expect(result.exports[0]).toEqual(expect.arrayContaining(['sessionSigning', 'autoRouting', 'allowList', 'p256Keys', 'walletEnforcement', 'erc7715v2025Requests', 'executionPermissionRequests']))
  expect(result.exports[entries.indexOf('keyleash/wagmi')]).toContain('withSessionKeysConnector')
  expect(result.exports[entries.indexOf('keyleash/devwallet')]).toContain('createDevWallet')
  expect(result.exports[entries.indexOf('keyleash/wallets')]).toStrictEqual(['advancedPermissions', 'erc4337Executor', 'erc7710Executor', 'erc7715', 'erc7715v2025', 'executionPermissions', 'openfort', 'openfortExecutor', 'openfortWallet', 'thirdweb', 'thirdwebAccount'])
})

test('default: every entry requires from CommonJS, with the same exports as from ESM', async () => {
  const esm = await runScript('esm.mjs', script((entry) => `await import('${entry}')`))
  // An async IIFE: top-level await is ESM only.
  const cjs = await runScript('cjs.cjs', `(async () => {${script((entry) => `require('${entry}')`)}})().catch((e) => { console.error(e); process.exit(1) })`)
  expect(cjs).toStrictEqual(esm)
})

test('behavior: a browser bundle of the core entry holds no Node built-in, no dev wallet and no wagmi', async () => {
  writeFileSync(join(consumer, 'app.js'), `export * from 'keyleash'\n`)
  const result = await build({
    entryPoints: [join(consumer, 'app.js')],
    absWorkingDir: consumer,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    external: ['viem', 'viem/*'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  })
  const inputs = Object.keys(result.metafile.inputs)
  expect(inputs.filter((input) => /devwallet|wagmi|^node:/.test(input))).toStrictEqual([])
  expect(inputs.some((input) => input.includes('node_modules/keyleash/dist/index.js'))).toBe(true)
})

test('behavior: importing keyleash in Node (the core, keyleash/wallets, keyleash/node) loads none of @metamask/rpc-errors or @metamask/utils: the codes are rpc-errors\' table, built in', async () => {
  const loaded = async (format: 'esm' | 'cjs', entry = 'keyleash') => {
    const result = await build({
      stdin: { contents: format === 'esm' ? `export * from '${entry}'` : `module.exports = require('${entry}')`, resolveDir: consumer },
      bundle: true,
      platform: 'node',
      format,
      external: ['viem', 'viem/*'],
      write: false,
      metafile: true,
      logLevel: 'silent',
    })
    return Object.keys(result.metafile.inputs).filter((input) => /node_modules\/@metamask\/(rpc-errors|utils)\//.test(input))
  }
  for (const entry of ['keyleash', 'keyleash/wallets', 'keyleash/node']) {
    expect(await loaded('esm', entry)).toStrictEqual([])
    expect(await loaded('cjs', entry)).toStrictEqual([])
  }
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', `const { InvalidParamsError, UnauthorizedError } = await import('keyleash'); console.log(InvalidParamsError.code, UnauthorizedError.code)`], { cwd: consumer })
  expect(stdout.trim()).toBe('-32602 4100')
})

test('behavior: the core entry carries no wallet dialect but the default; keyleash/wallets carries the others', async () => {
  const bundle = async (entry: string) => {
    writeFileSync(join(consumer, 'app.js'), `export * from '${entry}'\n`)
    const result = await build({ entryPoints: [join(consumer, 'app.js')], absWorkingDir: consumer, bundle: true, format: 'esm', external: ['viem', 'viem/*'], write: false, logLevel: 'silent' })
    return result.outputFiles[0]?.text ?? ''
  }
  // A phrase of each wallet half's encoder, found nowhere else.
  const walletHalves = ['Openfort takes an account or key signer', 'the wallet speaks ERC-7715 (2025)', 'the wallet speaks execution permissions']
  const core = await bundle('keyleash')
  expect(walletHalves.filter((phrase) => core.includes(phrase))).toStrictEqual([])
  const wallets = await bundle('keyleash/wallets')
  expect(walletHalves.filter((phrase) => wallets.includes(phrase))).toStrictEqual(walletHalves)
})

test('behavior: keyleash/wagmi runs without @wagmi/core installed (only its types come from wagmi)', () => {
  expect(readdirSync(join(consumer, 'node_modules'))).not.toContain('@wagmi')
})

test('behavior: an error thrown in keyleash/wallets is an instance of the class keyleash exports, from ESM and from CommonJS', async () => {
  const check = (load: (entry: string) => string) => `
const { InvalidParamsError, KeyleashError } = ${load('keyleash')}
const { openfort } = ${load('keyleash/wallets')}
let thrown
try {
  openfort.encode([{ signer: { type: 'wallet' }, permissions: [], policies: [], expiry: 2, chainId: 1 }], { now: 1 })
} catch (error) {
  thrown = error
}
console.log(JSON.stringify({ code: thrown.code, params: thrown instanceof InvalidParamsError, keyleash: thrown instanceof KeyleashError }))
`
  const expected = { code: -32602, params: true, keyleash: true }
  writeFileSync(join(consumer, 'classes.mjs'), check((entry) => `await import('${entry}')`))
  writeFileSync(join(consumer, 'classes.cjs'), check((entry) => `require('${entry}')`))
  for (const file of ['classes.mjs', 'classes.cjs']) {
    const { stdout } = await run(process.execPath, [file], { cwd: consumer })
    expect({ file, ...JSON.parse(stdout) }).toStrictEqual({ file, ...expected })
  }
})

test('behavior: the built error classes keep their names, so stack traces say InvalidParamsError and not _InvalidParamsError', async () => {
  const names = ['KeyleashError', 'InvalidParamsError', 'InvalidRequestError', 'UnauthorizedError', 'InternalError']
  const code = `
const m = await import('keyleash')
const seen = ${JSON.stringify(names)}.map((name) => {
  const error = name === 'KeyleashError' ? new m[name](4100, 'rule') : new m[name]('field', 'rule')
  return [m[name].name, /\\b_\\w+Error\\b/.test(error.stack)]
})
console.log(JSON.stringify(seen))
`
  writeFileSync(join(consumer, 'names.mjs'), code)
  const { stdout } = await run(process.execPath, ['names.mjs'], { cwd: consumer })
  expect(JSON.parse(stdout)).toStrictEqual(names.map((name) => [name, false]))
})

// The names the README's other blocks use, made by its block under "The snippets below", exported for them.
async function appNames(): Promise<string> {
  return `${await appModule('The snippets below')}\nexport { devChain, wallet, embeddedWalletProvider, account, chain, nft, calls }\n`
}

/** README block `heading`#`index`, as an ES module of the consumer app: types stripped, the app's names imported when it uses them. */
async function appModule(heading: string, index = 0): Promise<string> {
  const snippet = snippets(readFileSync(join(root, 'README.md'), 'utf8')).find((s) => s.heading === heading && s.index === index)
  if (snippet === undefined) throw new Error(`README has no ts block #${index} under "${heading}"`)
  const { code } = await transform(snippet.code, { loader: 'ts', format: 'esm', target: 'es2022' })
  // A whole program (it starts its own chain) makes every name it uses.
  const whole = snippet.code.includes('startDevChain(')
  const free = whole ? [] : ['embeddedWalletProvider', 'account', 'chain', 'nft', 'calls'].filter((name) => new RegExp(`\\b${name}\\b`).test(snippet.code))
  return free.length === 0 ? code : `import { ${free.join(', ')} } from './names.mjs'\n${code}`
}

test('behavior: a fresh app that follows only the README mints without a prompt, is refused a call outside the grant, revokes, and finds its session after a restart with the file store', async () => {
  writeFileSync(join(consumer, 'names.mjs'), await appNames())
  const steps: [string, string][] = [
    ['quickstart.mjs', await appModule('Quick start, on the development wallet')],
    ['sessions.mjs', await appModule('Sessions and events')],
    ['filestore.mjs', await appModule('On a Node backend: sessions in a file or in Redis')],
  ]
  const logs: string[] = []
  const encryptionKey = generatePrivateKey()
  for (const [file, code] of steps) {
    writeFileSync(join(consumer, file), code)
    // Each step its own process, as an app's; the app's names (a dev chain) are stopped after it.
    const main = `await import('./${file}')\nconst { wallet, devChain } = await import('./names.mjs')\nconsole.log('prompts', wallet.prompts)\nawait wallet.close()\nawait devChain.stop()`
    writeFileSync(join(consumer, `run-${file}`), main)
    const { stdout } = await run(process.execPath, [`run-${file}`], { cwd: consumer, env: { ...process.env, KEYLEASH_KEY: encryptionKey } })
    logs.push(stdout.trim())
  }
  const [quickstart, sessions, filestore] = logs
  expect(quickstart).toBe('success prompts: 1\nprompts 0') // the quick start's own wallet asked once; the names' wallet never
  expect(sessions?.split('\n').filter((line) => !/^granted 0x/.test(line))).toStrictEqual(['selector-not-allowed', 'revoked', 'prompts 2'])
  expect(filestore).toBe('prompts 1') // the grant's prompt; the send after the restart asked nothing
  const file = readFileSync(join(consumer, 'data/sessions.jsonl'), 'utf8')
  expect(file).toMatch(/"alg":"A256GCM","iv":"[0-9a-f]+","ct":"[0-9a-f]+"/) // the session key, sealed
  expect(file).not.toContain(encryptionKey.slice(2))
}, 120_000)

/** Installs `names` in the consumer app at the versions this repository runs (offline first, from the npm cache). */
async function installInApp(names: string[]): Promise<void> {
  const install = ['install', '--no-audit', '--no-fund', '--no-package-lock', ...names.map((name) => `${name}@${versionOf(name)}`)]
  await run('npm', [...install, '--offline'], { cwd: consumer }).catch(() => run('npm', install, { cwd: consumer }))
}

test('behavior: the packed types check with skipLibCheck: false under module nodenext, without the optional peers (MetaMask\'s kit, Openfort\'s SDK)', async () => {
  await installInApp(['@types/node', 'typescript'])
  const installed = readdirSync(join(consumer, 'node_modules'))
  expect(installed.filter((name) => name === '@openfort' || name === '@wagmi')).toStrictEqual([])
  expect(readdirSync(join(consumer, 'node_modules/@metamask'))).not.toContain('smart-accounts-kit')
  // Every entry but keyleash/wagmi, whose types are wagmi's: an app that imports it has @wagmi/core.
  writeFileSync(
    join(consumer, 'types.mts'),
    `import type { KeyleashProvider, PermissionRequest } from 'keyleash'
import type { DevMetaMask, DevOpenfort, DevWallet } from 'keyleash/devwallet'
import type { fileStore } from 'keyleash/node'
import type { indexedDbStore } from 'keyleash/browser'
import type { openfort } from 'keyleash/wallets'
export type Used = [KeyleashProvider, PermissionRequest, DevMetaMask, DevOpenfort, DevWallet, typeof fileStore, typeof indexedDbStore, typeof openfort]
`,
  )
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022', 'dom'], types: ['node'], skipLibCheck: false, noEmit: true }, files: ['types.mts'] }),
  )
  const { stdout } = await run(process.execPath, [join(consumer, 'node_modules/typescript/bin/tsc'), '-p', consumer]).catch((error: { stdout: string }) => ({ stdout: error.stdout }))
  expect(stdout).toBe('')
}, 300_000)

/** Runs README block `heading`#0, a whole program, as a module of the consumer app in a process of its own; its output. */
async function runQuickStart(heading: string, file: string): Promise<string> {
  writeFileSync(join(consumer, file), await appModule(heading))
  const { stdout } = await run(process.execPath, [file], { cwd: consumer, env: { ...process.env, DO_NOT_TRACK: '1' } })
  return stdout.trim()
}

test("behavior: Openfort's quick start runs as written in a fresh app, on the SDK's own provider over the development backend", async () => {
  await installInApp(['@openfort/openfort-js'])
  expect(await runQuickStart("Quick start: Openfort's embedded wallet", 'openfort.mjs')).toBe('success owner signatures: 1')
}, 300_000)

test("behavior: MetaMask's quick start runs as written in a fresh app, through waitForCallsStatus, and says what is left", async () => {
  await installInApp(['@metamask/smart-accounts-kit', '@metamask/7715-permission-types', '@metamask/delegation-abis'])
  const output = await runQuickStart('MetaMask Advanced Permissions (ERC-7715 + ERC-7710)', 'metamask.mjs')
  expect(output).toMatch(/^success\nspend-over-period-limit 40000000000000000000 wei of token 0x\w+…\w+ left until /)
}, 300_000)
