/**
 * Openfort's own `EvmProvider` (`@openfort/openfort-js` 1.6.0), built in Node over the development
 * backend: the SDK's real provider and its real backend API clients, pointed at
 * `startOpenfortBackend`'s server, with the iframe signer (which needs a browser) replaced by a
 * local owner key. For tests and the demo only: the SDK is a dev dependency, so keyleash's own
 * entries never import this file (`keyleash/devwallet` holds the backend only).
 */
import { EventEmitter } from 'node:events'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type Address, type Hex, isHex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import type { ApprovalPrompt, Approve } from '../../src/devwallet/context.js'
import { userRejected } from '../../src/devwallet/errors.js'
import {
  type OpenfortAccount,
  type OpenfortAccountType,
  type OpenfortBackend,
  startOpenfortBackend,
} from '../../src/devwallet/openfort/backend.js'
import type { Eip1193Provider } from '../../src/types.js'

/** The SDK's signer seam (`ensureSigner()`): what its iframe signer does, with a local key. */
export type OpenfortSigner = {
  sign(message: Uint8Array | string, requireArrayify?: boolean, requireHash?: boolean): Promise<string>
  disconnect(): Promise<void>
  switchChain(parameters: { chainId: number }): Promise<void>
}

/** The SDK's `EvmProvider`: EIP-1193 with `on`/`removeListener`. */
export type OpenfortProvider = Eip1193Provider & {
  on(event: string, listener: (...args: unknown[]) => void): void
  removeListener(event: string, listener: (...args: unknown[]) => void): void
}

export type CreateDevOpenfortOptions = {
  rpcUrl: string
  /** Stands in for the owner's confirmation: `false` rejects with 4001. Default: approve everything. */
  approve?: Approve
  /** Default: 'Smart Account' (the owner signs signable hashes as EIP-191 messages); 'Delegated Account' signs them raw. */
  accountType?: OpenfortAccountType
  /** A backend to share (several users, one Openfort project); default: a new one, closed with the rest. */
  backend?: OpenfortBackend
}

export type DevOpenfort = {
  /** Openfort's own provider. */
  provider: OpenfortProvider
  /** The smart account (`eth_accounts`). */
  account: Address
  /** The owner's address; its key stays in the signer. */
  owner: Address
  /** The SDK's stored account (`openfort.account`), with its backend id. */
  openfortAccount: OpenfortAccount
  contracts: { nft: Address; token: Address }
  backend: OpenfortBackend
  /** How many owner signatures were asked for. */
  readonly prompts: number
  close(): Promise<void>
}

type SdkModules = {
  EvmProvider: new (parameters: Record<string, unknown>) => OpenfortProvider
  BackendApiClients: new (parameters: { basePath: string; accessToken: string; storage?: unknown; onLogout?: () => void }) => unknown
}

let modules: Promise<SdkModules> | undefined

/** The SDK's dist files: its package exports only the browser entry, so they are loaded by path. */
function loadSdk(): Promise<SdkModules> {
  modules ??= (async () => {
    const root = dirname(createRequire(import.meta.url).resolve('@openfort/openfort-js/package.json'))
    const load = (path: string) => import(pathToFileURL(join(root, 'dist', path)).href) as Promise<Record<string, unknown>>
    const [provider, clients] = await Promise.all([load('sdk/src/wallets/evm/evmProvider.js'), load('packages/internal/openapi-clients/dist/index.js')])
    return { EvmProvider: provider.EvmProvider, BackendApiClients: clients.BackendApiClients } as SdkModules
  })()
  return modules
}

/**
 * Openfort's `EvmProvider` for a new account on the development backend, logged in.
 *
 * @example
 * const openfort = await createDevOpenfort({ rpcUrl: chain.rpcUrl })
 * const provider = withSessionKeys(openfort.provider, { wallet: openfort, executor: openfortExecutor(…) })
 */
export async function createDevOpenfort(options: CreateDevOpenfortOptions): Promise<DevOpenfort> {
  const { EvmProvider, BackendApiClients } = await loadSdk()
  const backend = options.backend ?? (await startOpenfortBackend({ rpcUrl: options.rpcUrl }))
  const approve = options.approve ?? (() => true)
  const owner = privateKeyToAccount(generatePrivateKey())
  const openfortAccount = await backend.createAccount({ owner: owner.address, accountType: options.accountType ?? 'Smart Account' })

  const storage = memoryStorage()
  storage.save(
    'openfort.account',
    JSON.stringify({
      id: openfortAccount.id,
      chainType: openfortAccount.chainType,
      address: openfortAccount.address,
      accountType: openfortAccount.accountType,
      chainId: openfortAccount.chainId,
      ownerAddress: openfortAccount.ownerAddress,
      createdAt: openfortAccount.createdAt,
      implementationType: openfortAccount.implementationType,
    }),
  )
  storage.save('openfort.authentication', JSON.stringify({ type: 'session', token: openfortAccount.token, userId: openfortAccount.userId }))

  const events = new EventEmitter()
  let prompts = 0
  const ask = async (prompt: ApprovalPrompt) => {
    prompts += 1
    if (!(await approve(prompt))) throw userRejected(prompt.method)
  }
  // The iframe signer's contract: `requireHash` signs an EIP-191 message (over the bytes of a hex
  // string when `requireArrayify`), otherwise the 32 bytes are signed raw.
  const signer: OpenfortSigner = {
    async sign(message, requireArrayify = true, requireHash = true) {
      const text = typeof message === 'string' ? message : (`0x${Buffer.from(message).toString('hex')}` as Hex)
      await ask({ method: 'sign', summary: `owner ${owner.address} signs ${text}${requireHash ? ' (EIP-191)' : ' (raw)'}`, params: [text] })
      if (!requireHash) {
        if (!isHex(text) || text.length !== 66) throw new Error('a raw signature needs a 32-byte hash')
        return owner.sign({ hash: text })
      }
      return owner.signMessage({ message: requireArrayify && isHex(text) ? { raw: text } : text })
    },
    async disconnect() {
      storage.remove('openfort.authentication')
      storage.remove('openfort.account')
      events.emit('onLogout')
    },
    async switchChain() {},
  }

  const provider = new EvmProvider({
    storage,
    backendApiClients: new BackendApiClients({ basePath: backend.url, accessToken: backend.publishableKey, storage }),
    openfortEventEmitter: events,
    ensureSigner: async () => signer,
    chains: { [backend.chainId]: options.rpcUrl },
    // Token refresh is Openfort's auth service, not part of the sessions API: the token is fresh.
    validateAndRefreshSession: async () => {},
  })

  return {
    provider,
    account: openfortAccount.address,
    owner: owner.address,
    openfortAccount,
    contracts: backend.contracts,
    backend,
    get prompts() {
      return prompts
    },
    async close() {
      if (!options.backend) await backend.close()
    },
  }
}

/** The SDK's storage interface (`get`/`save`/`remove`/`flush`), in memory. */
function memoryStorage() {
  const values = new Map<string, string>()
  return {
    async get(key: string) {
      return values.get(key) ?? null
    },
    save(key: string, value: string) {
      values.set(key, value)
    },
    remove(key: string) {
      values.delete(key)
    },
    flush() {
      values.clear()
    },
  }
}
