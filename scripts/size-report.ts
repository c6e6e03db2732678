/**
 * What weighs what in the core entry, as an app's bundler would ship it: `src/index.ts` bundled
 * by esbuild (minified, ESM, browser platform, viem left out as the app's own), then each
 * input's minified bytes, grouped by package and by folder of `src/`, then the largest files.
 * gzip works on the whole file, so a group's gzip share there is an estimate (its share of the
 * minified bytes times the gzipped total); the first table is exact: separate bundles, each
 * gzipped as a whole, with the runtime dependencies in or out.
 *
 * Last, what an app would ship for the same job otherwise, bundled the same way (the README's
 * "How it compares" quotes these).
 *
 * Run: node --import tsx scripts/size-report.ts [entry]   (size-limit holds the budget; this explains it)
 */
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { inlineErrorCodes } from './inlineErrorCodes.js'

const entry = process.argv[2] ?? 'src/index.ts'
const dependencies = ['@metamask/rpc-errors']

/**
 * min+gzip of a bundle of `contents` (an ES module importing from the repository root); viem left
 * out unless `withViem`; keyleash's error codes inlined as the build does unless it is not `ours`.
 */
async function gzipped(contents: string, external: readonly string[] = [], withViem = false, ours = true): Promise<number> {
  const bundle = await build({
    stdin: { contents, resolveDir: process.cwd(), loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    external: withViem ? [...external] : ['viem', 'viem/*', ...external],
    write: false,
    legalComments: 'none',
    logLevel: 'error',
    plugins: ours ? [inlineErrorCodes] : [],
  })
  return gzipSync(bundle.outputFiles[0]?.text ?? '').length
}

const result = await build({
  entryPoints: [entry],
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  external: ['viem', 'viem/*'],
  write: false,
  metafile: true,
  legalComments: 'none',
  // As the build does: rpc-errors' codes that src/errors.ts names, not its whole table.
  plugins: [inlineErrorCodes],
})
const output = result.outputFiles[0]
if (output === undefined) throw new Error('esbuild wrote nothing')
const code = output.text
const total = gzipSync(code).length
const [outputMeta] = Object.values(result.metafile.outputs)
if (outputMeta === undefined) throw new Error('no metafile output')

/** `node_modules/@metamask/utils/dist/x.mjs` → `@metamask/utils`; `src/permissions/x.ts` → `src/permissions`. */
function groupOf(path: string): string {
  const modules = path.lastIndexOf('node_modules/')
  if (modules >= 0) {
    const [scope, name] = path.slice(modules + 'node_modules/'.length).split('/')
    return scope?.startsWith('@') ? `${scope}/${name}` : (scope ?? path)
  }
  const parts = path.split('/')
  return parts.length > 2 ? parts.slice(0, 2).join('/') : path
}

const groups = new Map<string, number>()
for (const [path, { bytesInOutput }] of Object.entries(outputMeta.inputs)) groups.set(groupOf(path), (groups.get(groupOf(path)) ?? 0) + bytesInOutput)

const kB = (bytes: number) => `${(bytes / 1000).toFixed(2)} kB`.padStart(10)
function table(title: string, rows: [string, number][]): void {
  console.log(`\n${title.padEnd(48)}${'minified'.padStart(10)}${'≈ gzip'.padStart(10)}`)
  for (const [name, bytes] of rows) console.log(name.padEnd(48) + kB(bytes) + kB((bytes / code.length) * total))
}
console.log(`${entry}: ${kB(code.length).trim()} minified, ${kB(total).trim()} min+gzip (viem excluded)`)
console.log(`\n${'exact, each bundle gzipped whole'.padEnd(48)}${'min+gzip'.padStart(10)}`)
const exact: [string, string, readonly string[], boolean?][] = [
  ['everything the entry exports', `export * from './${entry}'`, []],
  ['  keyleash\'s own code alone (dependencies left out)', `export * from './${entry}'`, dependencies],
  ['  @metamask/rpc-errors alone (whole)', dependencies.map((d, i) => `export * as d${i} from '${d}'`).join('\n'), [], false],
  ['withSessionKeys alone', `export { withSessionKeys } from './${entry}'`, []],
  ['  keyleash\'s own code alone', `export { withSessionKeys } from './${entry}'`, dependencies],
]
for (const [name, contents, external, ours] of exact) console.log(name.padEnd(48) + kB(await gzipped(contents, external, false, ours)))
table('by package / folder', [...groups.entries()].sort((a, b) => b[1] - a[1]))
const files = Object.entries(outputMeta.inputs).map(([path, { bytesInOutput }]): [string, number] => [path.replace(/^.*node_modules\//, ''), bytesInOutput])
table('largest files', files.sort((a, b) => b[1] - a[1]).slice(0, 15))

console.log(`\n${'for comparison, bundled the same way'.padEnd(48)}${'min+gzip'.padStart(10)}`)
const alternatives: [string, string, boolean][] = [
  ["viem's erc7715Actions, with the viem it uses", `export { erc7715Actions } from 'viem/experimental'`, true],
  ["MetaMask kit's erc7715ProviderActions", `export { erc7715ProviderActions } from '@metamask/smart-accounts-kit/actions'`, false],
  ["Openfort's SDK (@openfort/openfort-js)", `export { Openfort } from '@openfort/openfort-js'`, false],
]
for (const [name, contents, withViem] of alternatives) console.log(name.padEnd(48) + kB(await gzipped(contents, [], withViem, false)))
