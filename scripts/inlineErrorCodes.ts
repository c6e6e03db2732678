/**
 * An esbuild plugin for the build (tsup.config.ts) and the benches' bundles (bench/index.ts):
 * where keyleash's core takes its codes from `@metamask/rpc-errors` (src/errors.ts), it is
 * given that package's own table of codes (`dist/error-constants.mjs`, plain data), bundled in.
 *
 * Why: loading the package in Node loads its whole index, and with it all of `@metamask/utils`
 * (superstruct, @noble/hashes, semver, debug…): importing keyleash cost 1.33× importing viem
 * alone for an object of numbers. The codes stay rpc-errors' own, read at build time from the
 * installed package; the dev wallet, which throws rpc-errors' classes, still imports it whole.
 */
import { createRequire } from 'node:module'
import { dirname, join, sep } from 'node:path'
import type { Plugin } from 'esbuild'

// The package's exports expose only its index; the table sits beside it in `dist/`.
const errorConstants = join(dirname(createRequire(import.meta.url).resolve('@metamask/rpc-errors')), 'error-constants.mjs')

/**
 * @example
 * defineConfig({ noExternal: ['@metamask/rpc-errors'], esbuildPlugins: [inlineErrorCodes] })
 */
export const inlineErrorCodes: Plugin = {
  name: 'keyleash-inline-error-codes',
  setup(build) {
    // tsup leaves the package to this plugin (`noExternal`), which keeps it external everywhere else.
    build.onResolve({ filter: /^@metamask\/rpc-errors$/ }, ({ importer, path }) =>
      importer.endsWith(`${sep}src${sep}errors.ts`) ? { path: errorConstants } : { path, external: true },
    )
  },
}
