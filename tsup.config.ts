import { defineConfig } from 'tsup'

export default defineConfig({
  entry: { index: 'src/index.ts', browser: 'src/browser.ts', node: 'src/node.ts', wagmi: 'src/wagmi.ts', wallets: 'src/wallets.ts', 'devwallet/index': 'src/devwallet/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  external: ['viem'],
})
