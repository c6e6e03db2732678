/**
 * An esbuild plugin for the build (tsup.config.ts) and the benches' bundles (bench/index.ts):
 * where keyleash's core takes its codes from `@metamask/rpc-errors` (src/errors.ts), it is
 * given the codes it names (`errorCodes.rpc.invalidParams` …), read at build time from that
 * package's own table (`dist/error-constants.mjs`, plain data), and nothing else of it.
 *
 * Why: loading the package in Node loads its whole index, and with it all of `@metamask/utils`
 * (superstruct, @noble/hashes, semver, debug…): importing keyleash cost 1.33× importing viem
 * alone for an object of numbers. And esbuild keeps a whole object it cannot see through: the
 * 16 codes of the table cost every app's bundle for the 4 keyleash throws. The codes stay
 * rpc-errors' own, from the installed package; the dev wallet, which throws rpc-errors' classes,
 * still imports it whole.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Plugin } from 'esbuild'

// The package's exports expose only its index; the table sits beside it in `dist/`.
const errorConstants = join(dirname(createRequire(import.meta.url).resolve('@metamask/rpc-errors')), 'error-constants.mjs')
const namespace = 'keyleash-error-codes'

type CodeTable = Record<string, Record<string, number>>

/**
 * @example
 * defineConfig({ noExternal: ['@metamask/rpc-errors'], esbuildPlugins: [inlineErrorCodes] })
 */
export const inlineErrorCodes: Plugin = {
  name: 'keyleash-inline-error-codes',
  setup(build) {
    // tsup leaves the package to this plugin (`noExternal`), which keeps it external everywhere else.
    build.onResolve({ filter: /^@metamask\/rpc-errors$/ }, ({ importer, path }) =>
      importer.endsWith(`${sep}src${sep}errors.ts`) ? { path: errorConstants, namespace, pluginData: importer } : { path, external: true },
    )
    build.onLoad({ filter: /.*/, namespace }, async ({ pluginData }) => {
      const { errorCodes } = (await import(pathToFileURL(errorConstants).href)) as { errorCodes: CodeTable }
      const source = await readFile(pluginData as string, 'utf8')
      const used: CodeTable = {}
      for (const [, group = '', name = ''] of source.matchAll(/errorCodes\.(\w+)\.(\w+)/g)) {
        const code = errorCodes[group]?.[name]
        // A name the table does not hold fails the build rather than throwing `undefined` as a code.
        if (code === undefined) throw new Error(`@metamask/rpc-errors has no errorCodes.${group}.${name}`)
        ;(used[group] ??= {})[name] = code
      }
      return { contents: `export const errorCodes = ${JSON.stringify(used)}`, loader: 'js', watchFiles: [pluginData as string, errorConstants] }
    })
  },
}
