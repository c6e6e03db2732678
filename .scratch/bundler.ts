import { startDevChain } from '../src/devwallet/chain.js'
import { startBundler } from '../src/devwallet/erc4337/bundler.js'
const chain = await startDevChain()
const t = Date.now()
try {
  const b = await startBundler({ rpcUrl: chain.rpcUrl })
  console.log('ready in', Date.now() - t, b.url)
  const r = await fetch(b.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_supportedEntryPoints', params: [] }) })
  console.log(await r.text())
  await b.stop()
} finally { await chain.stop() }
