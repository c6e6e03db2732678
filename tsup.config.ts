import { defineConfig } from 'tsup'
import { inlineErrorCodes } from './scripts/inlineErrorCodes.js'

export default defineConfig({
  entry: { index: 'src/index.ts', browser: 'src/browser.ts', node: 'src/node.ts', wagmi: 'src/wagmi.ts', wallets: 'src/wallets.ts', 'devwallet/index': 'src/devwallet/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // Also for CommonJS (esbuild's is experimental there): without it each entry carries its own
  // copy of the core, so an error class from keyleash/wallets is not the one keyleash exports.
  splitting: true,
  // `import.meta.url` in CommonJS (the dev wallet finds anvil's binary from it).
  shims: true,
  // MetaMask's kit is loaded by the development MetaMask only, from the app's own install.
  // The core's error codes, rpc-errors' own table, without loading all of rpc-errors in Node.
  noExternal: ['@metamask/rpc-errors'],
  esbuildPlugins: [inlineErrorCodes],
  external: ['viem', '@metamask/smart-accounts-kit', '@metamask/7715-permission-types', '@metamask/delegation-abis'],
})
