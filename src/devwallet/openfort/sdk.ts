/**
 * Openfort's own `EvmProvider` (`@openfort/openfort-js`), built in Node over the development
 * backend: the SDK's real provider and its real backend API clients, pointed at
 * `startOpenfortBackend`'s server, with the iframe signer (which needs a browser) replaced by a
 * local owner key. The SDK is the app's to install: it is loaded only when called.
 */
import { EventEmitter } from 'node:events'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type Address, type Hex, isHex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { InternalError } from '../../errors.js'
import type { Eip1193Provider } from '../../types.js'
import type { ApprovalPrompt, Approve } from '../context.js'
import { userRejected } from '../errors.js'
import { type OpenfortAccount, type OpenfortAccountType, type OpenfortBackend, startOpenfortBackend } from './backend.js'

/** The SDK's signer seam (`ensureSigner()`): what its iframe signer does, here with a local owner key. */
export type OpenfortSigner = {
  /** Signs as the iframe signer does: an EIP-191 message when `requireHash`, else the 32 bytes raw. */
  sign(message: Uint8Array | string, requireArrayify?: boolean, requireHash?: boolean): Promise<string>
  /** Logs the user out (the SDK's `onLogout`). */
  disconnect(): Promise<void>
  /** The SDK asks it to follow a chain switch. */
  switchChain(parameters: { chainId: number }): Promise<void>
}

/** The SDK's `EvmProvider`: EIP-1193 with `on`/`removeListener` (so it fits wagmi's `injected({ target })` too). */
export type OpenfortProvider = Eip1193Provider & {
  /** Adds a listener of an EIP-1193 event. */
  on(event: string, listener: (...args: unknown[]) => void): void
  /** Removes a listener added with `on`. */
  removeListener(event: string, listener: (...args: unknown[]) => void): void
}

/** Options of {@link createDevOpenfort}. */
export type CreateDevOpenfortOptions = {
  /** JSON-RPC URL of an anvil chain, e.g. `startDevChain()`'s `rpcUrl`. */
  rpcUrl: string
  /** Stands in for the owner's confirmation: `false` rejects with 4001. Default: approve everything. */
  approve?: Approve
  /** Default: 'Smart Account' (the owner signs signable hashes as EIP-191 messages); 'Delegated Account' signs them raw. */
  accountType?: OpenfortAccountType
  /** A backend to share (several users, one Openfort project); default: a new one, closed with the rest. */
  backend?: OpenfortBackend
}

/** A user logged in to Openfort's own SDK over the development backend: see {@link createDevOpenfort}. */
export type DevOpenfort = {
  /** Openfort's own provider: the SDK's `EvmProvider`, logged in as the user. */
  provider: OpenfortProvider
  /** The account (`eth_accounts`): a Smart Account's own address, or a Delegated Account's, which is the owner's. */
  account: Address
  /** The user's Openfort account id (`acc_…`): `openfortExecutor`'s `account`. */
  accountId: string
  /** Where the app's server reaches the backend, with its secret key: `openfortExecutor`'s `backend`. */
  api: { url: string; headers: Record<string, string> }
  /** The owner's address; its key stays in the signer. */
  owner: Address
  /** The SDK's stored account (`openfort.account`), with its backend id. */
  openfortAccount: OpenfortAccount
  /** The demo NFT (`mint(address)`) and ERC-20 on the chain. */
  contracts: { nft: Address; token: Address }
  /** The development backend the SDK talks to. */
  backend: OpenfortBackend
  /** How many owner signatures were asked for. */
  readonly prompts: number
  /** Stops the backend it started (not one passed in `backend`, nor the chain). */
  close(): Promise<void>
}

type SdkModules = {
  EvmProvider: new (parameters: Record<string, unknown>) => OpenfortProvider
  BackendApiClients: new (parameters: { basePath: string; accessToken: string; storage?: unknown; onLogout?: () => void }) => unknown
}

/** The SDK version whose files {@link createDevOpenfort} loads by path. */
const sdkVersion = '1.6'
let modules: Promise<SdkModules> | undefined

/**
 * The SDK's dist files: its package exports only the browser entry (whose signer is an iframe),
 * so the provider and API clients are loaded by path, from the app's own install.
 */
function loadSdk(): Promise<SdkModules> {
  modules ??= (async () => {
    const install = `npm i -D @openfort/openfort-js@~${sdkVersion}.0`
    let root: string
    try {
      root = dirname(createRequire(import.meta.url).resolve('@openfort/openfort-js/package.json'))
    } catch {
      throw new InternalError(`createDevOpenfort needs Openfort's SDK, which is not installed: ${install}`)
    }
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }
    if (!version.startsWith(`${sdkVersion}.`)) throw new InternalError(`createDevOpenfort runs @openfort/openfort-js ${sdkVersion}.x, and ${version} is installed: ${install}`)
    const load = (path: string) => import(pathToFileURL(join(root, 'dist', path)).href) as Promise<Record<string, unknown>>
    const [provider, clients] = await Promise.all([load('sdk/src/wallets/evm/evmProvider.js'), load('packages/internal/openapi-clients/dist/index.js')])
    return { EvmProvider: provider.EvmProvider, BackendApiClients: clients.BackendApiClients } as SdkModules
  })()
  // A failed load (the SDK not installed yet) is tried again on the next call.
  modules.catch(() => (modules = undefined))
  return modules
}

/**
 * Openfort's own provider in Node, **for local development and tests only**: the real
 * `EvmProvider` of `@openfort/openfort-js` (which the app installs: a dev dependency) for a new
 * user on the development backend (`startOpenfortBackend`, started here unless `backend` is
 * given), logged in. The SDK's public entry builds its signer in an iframe, which Node has not;
 * here the owner's key is a local one that signs as that signer does, and asks `approve` first.
 * Everything else (sessions, their owner signatures, transaction intents, `wallet_getCallsStatus`)
 * is the SDK's own code talking to the backend over HTTP.
 *
 * @example
 * import { withSessionKeys } from 'keyleash'
 * import { createDevOpenfort, startDevChain } from 'keyleash/devwallet'
 * import { openfort, openfortExecutor } from 'keyleash/wallets'
 *
 * const chain = await startDevChain()
 * const user = await createDevOpenfort({ rpcUrl: chain.rpcUrl })
 * const provider = withSessionKeys(user.provider, { wallet: openfort, executor: openfortExecutor({ backend: user.api, account: user.accountId }) })
 */
export async function createDevOpenfort(options: CreateDevOpenfortOptions): Promise<DevOpenfort> {
  const { EvmProvider, BackendApiClients } = await loadSdk()
  const backend = options.backend ?? (await startOpenfortBackend({ rpcUrl: options.rpcUrl }))
  const approve = options.approve ?? (() => true)
  const owner = privateKeyToAccount(generatePrivateKey())
  const accountType = options.accountType ?? 'Smart Account'
  // A Delegated Account is the owner's own address, running Openfort's code by the owner's EIP-7702 authorization.
  const authorization =
    accountType === 'Delegated Account' ? await owner.signAuthorization({ contractAddress: backend.delegatedImplementation, chainId: backend.chainId, nonce: 0 }) : undefined
  const openfortAccount = await backend.createAccount({ owner: owner.address, accountType, authorization })

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
      // The SDK checks a Delegated Account's code against it before it sends the owner's calls.
      ...(openfortAccount.implementationAddress ? { implementationAddress: openfortAccount.implementationAddress } : {}),
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
    accountId: openfortAccount.id,
    api: { url: backend.url, headers: { authorization: `Bearer ${backend.secretKey}` } },
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
