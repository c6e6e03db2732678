// A page for p256.browser.test.ts: keyleash with keyType p256Keys() and its sessions in IndexedDB,
// over the dev wallet the Vite server hosts (ERC-7715 2025). What it exposes is what any
// same-origin script could do: call keyleash, and read everything the origin stores.
import { type Address, type Hex, encodeFunctionData, numberToHex } from 'viem'
import { devWalletBridge } from '../../../demo/web/bridge.js'
import { demoNftAbi } from '../../../src/devwallet/artifacts.js'
import { indexedDbStore } from '../../../src/browser.js'
import { p256Keys, withSessionKeys } from '../../../src/index.js'
import { erc7715v2025 } from '../../../src/wallets.js'

type Wallet = { chainId: number; account: Address; nft: Address; token: Address }

const events: string[] = []
const provider = withSessionKeys(devWalletBridge(() => true), { store: indexedDbStore({ namespace: 'p256' }), wallet: erc7715v2025, keyType: p256Keys() })
for (const event of ['sessionGranted', 'sessionRevoked', 'sessionExpired'] as const)
  provider.on(event, (payload) => events.push(JSON.stringify(payload, (_, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))))

const send = (wallet: Wallet, context: string, call: { to: Address; data: Hex }) =>
  provider.request({
    method: 'wallet_sendCalls',
    params: [{ version: '2.0.0', chainId: numberToHex(wallet.chainId), from: wallet.account, atomicRequired: true, calls: [call], capabilities: { permissions: { context } } }],
  })

/** Every value IndexedDB holds for this origin: strings as they are, CryptoKeys as they are. */
async function everythingInIndexedDb(): Promise<unknown[]> {
  const values: unknown[] = []
  for (const { name } of await indexedDB.databases()) {
    if (name === undefined) continue
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(name)
      request.onsuccess = () => resolve(request.result)
      request.onerror = () => reject(request.error)
    })
    for (const store of Array.from(db.objectStoreNames))
      values.push(
        ...(await new Promise<unknown[]>((resolve) => {
          const request = db.transaction([store]).objectStore(store).getAll()
          request.onsuccess = () => resolve(request.result)
        })),
      )
    db.close()
  }
  return values
}

declare global {
  interface Window {
    keyleashP256: {
      grant(wallet: Wallet): Promise<string>
      session(context: string): Promise<{ signer: unknown; keyAddress: string | undefined; status: string; calls: number } | undefined>
      mint(wallet: Wallet, context: string): Promise<string>
      /** A call outside the grant: refused by keyleash; the error as the app sees it. */
      refused(wallet: Wallet, context: string): Promise<string>
      /** What a script on the page can find: every stored value, localStorage, keyleash's events, and what exporting each CryptoKey gives. */
      loot(): Promise<{ strings: string[]; cryptoKeys: { type: string; extractable: boolean; algorithm: string; exported: string[] }[]; events: string[] }>
    }
  }
}

window.keyleashP256 = {
  async grant(wallet) {
    const [granted] = (await provider.request({
      method: 'wallet_grantPermissions',
      params: [
        {
          chainId: numberToHex(wallet.chainId),
          address: wallet.account,
          expiry: Math.floor(Date.now() / 1000) + 3600,
          permissions: [{ type: 'contract-call', data: { address: wallet.nft, calls: ['mint(address)'] } }],
        },
      ],
    })) as [{ context: string }]
    return granted.context
  },
  async session(context) {
    const session = await provider.sessions.get(context)
    return session && { signer: session.signer, keyAddress: session.keyAddress, status: session.status, calls: session.usage.calls }
  },
  async mint(wallet, context) {
    const { id } = (await send(wallet, context, { to: wallet.nft, data: encodeFunctionData({ abi: demoNftAbi, functionName: 'mint', args: [wallet.account] }) })) as { id: string }
    return id
  },
  async refused(wallet, context) {
    try {
      await send(wallet, context, { to: wallet.token, data: '0x' })
      return 'sent'
    } catch (error) {
      return JSON.stringify({ message: (error as Error).message, data: (error as { data?: unknown }).data, stack: (error as Error).stack })
    }
  },
  async loot() {
    const strings: string[] = Object.keys(localStorage).map((item) => `${item}=${localStorage.getItem(item)}`)
    const cryptoKeys = []
    for (const value of await everythingInIndexedDb()) {
      if (!(value instanceof CryptoKey)) {
        strings.push(typeof value === 'string' ? value : JSON.stringify(value))
        continue
      }
      const exported: string[] = []
      for (const format of ['pkcs8', 'jwk', 'raw'] as const)
        exported.push(await crypto.subtle.exportKey(format, value).then(() => `${format}: exported`, (error: Error) => `${format}: ${error.name}`))
      cryptoKeys.push({ type: value.type, extractable: value.extractable, algorithm: value.algorithm.name, exported })
    }
    return { strings, cryptoKeys, events }
  },
}
document.body.dataset.ready = 'true'
