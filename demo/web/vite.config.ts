import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import { devWalletServer } from './devWalletServer.js'

/** `npm run demo:web`: the seed's story in a page, on a local anvil the dev server starts. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [devWalletServer()],
  server: { host: '127.0.0.1' },
  clearScreen: false,
})
