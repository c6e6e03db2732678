import { type IncomingMessage, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  type Address,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
  bytesToHex,
  createPublicClient,
  createWalletClient,
  defineChain,
  hashTypedData,
  http,
  isAddressEqual,
  parseEther,
} from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { KeyleashError } from '../../errors.js'
import type { SignAuthorizationReturnType } from 'viem/accounts'
import { type AccountCall, deployDemoNft, deployDemoToken, executeTypedData, randomExecuteNonce } from '../contracts.js'
import { createRelay, type Relay } from '../relay.js'
import { fund } from '../wallet.js'
import {
  type OpenfortAccountType,
  delegateToOpenfort,
  deployOpenfortDelegatedImplementation,
  deployOpenfortSmartAccount,
  openfortAccountAbis,
  openfortDomainNames,
  registerSessionCalls,
  revokeSessionCall,
} from './accounts.js'
import { type Body, readCreateIntent, readCreateSession, readRevokeSession, readSignature } from './requests.js'

export type { OpenfortAccountType } from './accounts.js'

/** An account the backend made: what the SDK keeps in storage as `openfort.account`. */
export type OpenfortAccount = {
  id: string
  /** The account on the dev chain: a Smart Account model, or the owner's own address delegated (EIP-7702) to the Delegated Account model. */
  address: Address
  ownerAddress: Address
  accountType: OpenfortAccountType
  chainId: number
  chainType: 'EVM'
  implementationType: string
  /** A Delegated Account's: the code the owner delegated to (the SDK checks it before sending). */
  implementationAddress?: Address | undefined
  createdAt: number
  /** The user's access token (`openfort.authentication`). */
  token: string
  userId: string
}

/** A session as the backend keeps it. */
export type OpenfortSession = {
  id: string
  account: string
  address: Address
  validAfter: number
  validUntil: number
  whitelist: Address[]
  limit?: number | undefined
  isActive: boolean
  createdAt: number
  updatedAt: number
}

/** A request the backend received, for tests that check what reached it. */
export type OpenfortRequestRecord = { method: string; path: string; body: unknown }

/** Options of {@link startOpenfortBackend}. */
export type StartOpenfortBackendOptions = {
  /** JSON-RPC URL of the dev chain (`startDevChain()`'s `rpcUrl`). */
  rpcUrl: string
  /** Demo contracts to reuse instead of deploying new ones. */
  contracts?: { nft: Address; token: Address }
  /** The clock for `createdAt` (UNIX seconds). Default: the system's, as Openfort's servers use. */
  now?: () => number
}

/** A running development backend: see {@link startOpenfortBackend}. */
export type OpenfortBackend = {
  /** Base URL, e.g. `http://127.0.0.1:54321`: the SDK's `basePath`. */
  url: string
  chainId: number
  /** What the SDK sends as `x-project-key`. */
  publishableKey: string
  /** What a server (the app's backend) sends as `Bearer` for transaction intents. */
  secretKey: string
  /** The demo NFT and ERC-20 on the dev chain. */
  contracts: { nft: Address; token: Address }
  /** The Delegated Account model's code, which a Delegated Account's owner authorizes (EIP-7702). */
  delegatedImplementation: Address
  /**
   * Registers an account for `owner`, with a user token for it: a Smart Account model deployed for
   * the owner, or (with the owner's EIP-7702 `authorization` for {@link OpenfortBackend.delegatedImplementation})
   * the owner's own address as a Delegated Account.
   */
  createAccount(parameters: { owner: Address; accountType?: OpenfortAccountType; authorization?: SignAuthorizationReturnType }): Promise<OpenfortAccount>
  /** Every session the backend holds. */
  sessions(): readonly OpenfortSession[]
  /** Every request received, in order. */
  readonly requests: readonly OpenfortRequestRecord[]
  /** Stops the server; the chain is not the backend's to stop. */
  close(): Promise<void>
}

type Pending = { calls: AccountCall[]; nonce: bigint; signableHash: Hex }
type SessionRecord = OpenfortSession & { pending?: (Pending & { revoke: boolean }) | undefined }
type IntentRecord = {
  id: string
  account: string
  chainId: number
  interactions: unknown[]
  createdAt: number
  pending?: Pending | undefined
  response?: Record<string, unknown> | undefined
}

/** A 4xx/5xx answer in Openfort's error shape (`{ error: { type, message } }`), which the SDK reads. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/**
 * Starts a development backend for Openfort's own SDK, **for local development and tests only**:
 * an HTTP server on 127.0.0.1 (a free port) speaking the part of Openfort's REST API that the
 * SDK's `EvmProvider` calls for session keys and transaction intents, executing on the dev chain.
 *
 * The accounts are keyleash's models of Openfort's two account types (`contracts/OpenfortAccounts.sol`).
 *
 * - `POST /v1/sessions` registers nothing yet: it answers with a session whose
 *   `nextAction.payload.signableHash` is the account's digest of the owner batch that registers
 *   the key as the account type takes it (see `registerSessionCalls`). `POST /v1/sessions/:id/signature`
 *   relays the owner's signature; the account checks it (EIP-191 from smart accounts, raw from delegated ones).
 * - `POST /v1/sessions/revoke` `{ address }` does the same for revoking the key.
 * - `POST /v1/transaction_intents` answers with the digest of the calls; the signature (the
 *   owner's or a session key's) goes to `POST /v1/transaction_intents/:id/signature`, which
 *   executes the calls on chain and answers with the receipt. `GET` reads either.
 *
 * @example
 * import { startDevChain, startOpenfortBackend } from 'keyleash/devwallet'
 *
 * const chain = await startDevChain()
 * const backend = await startOpenfortBackend({ rpcUrl: chain.rpcUrl })
 * const account = await backend.createAccount({ owner: owner.address })
 * // new BackendApiClients({ basePath: backend.url, accessToken: backend.publishableKey }) …
 */
export async function startOpenfortBackend(options: StartOpenfortBackendOptions): Promise<OpenfortBackend> {
  const now = options.now ?? (() => Math.floor(Date.now() / 1000))
  const transport = http(options.rpcUrl, { retryCount: 0 })
  const chainId = await createPublicClient({ transport }).getChainId()
  const chain = defineChain({
    id: chainId,
    name: `dev ${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [options.rpcUrl] } },
  })
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 20 }) as PublicClient
  const relayerClient = createWalletClient({ account: privateKeyToAccount(generatePrivateKey()), chain, transport, pollingInterval: 20 })
  await fund(publicClient, relayerClient.account.address, parseEther('1000'))
  const contracts = options.contracts ?? {
    nft: await deployDemoNft(relayerClient, publicClient),
    token: await deployDemoToken(relayerClient, publicClient),
  }
  const delegatedImplementation = await deployOpenfortDelegatedImplementation(relayerClient, publicClient)

  const publishableKey = `pk_test_${randomId()}`
  const secretKey = `sk_test_${randomId()}`
  const accounts = new Map<string, OpenfortAccount & { relay: Relay }>()
  const tokens = new Set<string>()
  const sessions = new Map<string, SessionRecord>()
  const intents = new Map<string, IntentRecord>()
  const requests: OpenfortRequestRecord[] = []

  const accountOf = (id: string) => {
    const account = accounts.get(id)
    if (!account) throw new HttpError(404, `account ${id} not found`)
    return account
  }
  const pendingFor = (account: OpenfortAccount, calls: AccountCall[]): Pending => {
    const nonce = randomExecuteNonce()
    return { calls, nonce, signableHash: hashTypedData(executeTypedData(account.address, chainId, calls, nonce, openfortDomainNames[account.accountType])) }
  }
  // Relays a signed batch; the account checks the signature and the session's scope. A revert
  // at simulation is the caller's fault (400), as Openfort refuses a signature it cannot use.
  // One relayer for every account: sends go out one at a time (each account's relay orders only
  // its own), so two accounts' batches never take the same relayer nonce.
  let sending: Promise<unknown> = Promise.resolve()
  const execute = async (account: OpenfortAccount & { relay: Relay }, pending: Pending, signature: Hex): Promise<TransactionReceipt> => {
    const sent = sending.then(() => account.relay.send(pending.calls, pending.nonce, signature))
    sending = sent.catch(() => undefined)
    let hash: Hex
    try {
      hash = await sent
    } catch (error) {
      throw new HttpError(400, error instanceof Error ? error.message : String(error))
    }
    return account.relay.mined(hash)
  }

  const routes: { method: string; path: RegExp; handle(match: string[], body: Body): Promise<unknown> }[] = [
    {
      method: 'POST',
      path: /^\/v1\/sessions$/,
      async handle(_, body) {
        const read = readCreateSession(body, chainId)
        const account = accountOf(read.account)
        if (isAddressEqual(read.key, account.address)) throw new HttpError(400, 'address: is the account itself; a session key must be another key')
        const self = read.whitelist.findIndex((target) => isAddressEqual(target, account.address))
        if (self >= 0) throw new HttpError(400, `whitelist[${self}]: ${account.address} is the account itself; a session key may never call its own account`)
        const at = now()
        const session: SessionRecord = {
          id: `ses_${randomId()}`,
          account: account.id,
          address: read.key,
          validAfter: read.validAfter,
          validUntil: read.validUntil,
          whitelist: read.whitelist,
          // What the backend asks the account for: a Delegated Account's no limit is 0 (which the account refuses).
          limit: read.limit ?? (account.accountType === 'Delegated Account' ? 0 : undefined),
          isActive: false,
          createdAt: at,
          updatedAt: at,
          pending: { ...pendingFor(account, registerSessionCalls(account.accountType, account.address, read)), revoke: false },
        }
        sessions.set(session.id, session)
        return sessionResponse(session)
      },
    },
    {
      method: 'POST',
      path: /^\/v1\/sessions\/revoke$/,
      async handle(_, body) {
        const { key, account: accountId } = readRevokeSession(body, chainId)
        const account = accountOf(accountId)
        const session = [...sessions.values()].reverse().find((s) => s.account === account.id && s.isActive && isAddressEqual(s.address, key))
        if (!session) throw new HttpError(404, `no active session for ${key} on account ${account.id}`)
        session.pending = { ...pendingFor(account, [revokeSessionCall(account.accountType, account.address, key)]), revoke: true }
        return sessionResponse(session)
      },
    },
    {
      method: 'POST',
      path: /^\/v1\/sessions\/([^/]+)\/signature$/,
      async handle([id = ''], body) {
        const session = sessions.get(id)
        if (!session) throw new HttpError(404, `session ${id} not found`)
        const { pending } = session
        if (!pending) throw new HttpError(400, `session ${id} has nothing to sign`)
        const receipt = await execute(accountOf(session.account), pending, readSignature(body))
        if (receipt.status !== 'success') throw new HttpError(400, `the ${pending.revoke ? 'revocation' : 'registration'} reverted on chain (${receipt.transactionHash})`)
        session.pending = undefined
        session.updatedAt = now()
        // Revoking a key ends every session of that key on the account, as the chain does.
        if (pending.revoke) for (const s of sessions.values()) if (s.account === session.account && isAddressEqual(s.address, session.address)) s.isActive = false
        if (!pending.revoke) session.isActive = true
        return sessionResponse(session)
      },
    },
    {
      method: 'GET',
      path: /^\/v1\/sessions\/([^/]+)$/,
      async handle([id = '']) {
        const session = sessions.get(id)
        if (!session) throw new HttpError(404, `session ${id} not found`)
        return sessionResponse(session)
      },
    },
    {
      method: 'POST',
      path: /^\/v1\/transaction_intents$/,
      async handle(_, body) {
        const read = readCreateIntent(body, chainId)
        const account = accountOf(read.account)
        const intent: IntentRecord = {
          id: `tin_${randomId()}`,
          account: account.id,
          chainId,
          interactions: body.interactions as unknown[],
          createdAt: now(),
          pending: pendingFor(account, read.calls),
        }
        intents.set(intent.id, intent)
        return intentResponse(intent)
      },
    },
    {
      method: 'POST',
      path: /^\/v1\/transaction_intents\/([^/]+)\/signature$/,
      async handle([id = ''], body) {
        const intent = intents.get(id)
        if (!intent) throw new HttpError(404, `transaction intent ${id} not found`)
        const { pending } = intent
        if (!pending) throw new HttpError(400, `transaction intent ${id} was already signed`)
        intent.pending = undefined
        try {
          intent.response = receiptResponse(await execute(accountOf(intent.account), pending, readSignature(body)), now())
        } catch (error) {
          intent.pending = pending
          throw error
        }
        return intentResponse(intent)
      },
    },
    {
      method: 'GET',
      path: /^\/v1\/transaction_intents\/([^/]+)$/,
      async handle([id = '']) {
        const intent = intents.get(id)
        if (!intent) throw new HttpError(404, `transaction intent ${id} not found`)
        return intentResponse(intent)
      },
    },
  ]

  // A server sends its secret key, the SDK the user's token with the project key; the SDK posts
  // signatures with the project key alone (a signature authenticates itself).
  const authorized = (request: IncomingMessage, path: string): boolean => {
    const bearer = request.headers.authorization?.replace(/^Bearer /, '') ?? ''
    if (bearer === secretKey) return true
    if (bearer === publishableKey) return path.endsWith('/signature')
    return tokens.has(bearer) && request.headers['x-project-key'] === publishableKey
  }

  const server = createServer((request, response) => {
    void answer(request, response)
  })
  const answer = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = (request.url ?? '/').split('?')[0] ?? '/'
    let status = 200
    let result: unknown
    try {
      const body = await readBody(request)
      requests.push({ method: request.method ?? 'GET', path, body })
      const route = routes.find((r) => r.method === request.method && r.path.test(path))
      if (!route) throw new HttpError(404, `${request.method} ${path} is not part of this development backend`)
      if (!authorized(request, path)) throw new HttpError(401, 'missing or unknown credentials')
      result = await route.handle((route.path.exec(path) ?? []).slice(1), body)
    } catch (error) {
      status = error instanceof HttpError ? error.status : error instanceof KeyleashError ? 400 : 500
      result = { error: { type: status < 500 ? 'invalid_request_error' : 'api_error', message: error instanceof Error ? error.message : String(error) } }
    }
    response.writeHead(status, { 'content-type': 'application/json' })
    response.end(JSON.stringify(result))
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    chainId,
    publishableKey,
    secretKey,
    contracts,
    delegatedImplementation,
    async createAccount({ owner, accountType = 'Smart Account', authorization }) {
      let address = owner
      if (accountType === 'Smart Account') address = await deployOpenfortSmartAccount(relayerClient, publicClient, owner)
      else if (!authorization || !isAddressEqual(authorization.address, delegatedImplementation))
        throw new TypeError(`a Delegated Account needs the owner's EIP-7702 authorization for ${delegatedImplementation}`)
      else await delegateToOpenfort(relayerClient, publicClient, owner, authorization)
      await fund(publicClient, address, parseEther('10'))
      const account = {
        id: `acc_${randomId()}`,
        address,
        ownerAddress: owner,
        accountType,
        chainId,
        chainType: 'EVM' as const,
        implementationType: openfortDomainNames[accountType],
        ...(accountType === 'Delegated Account' ? { implementationAddress: delegatedImplementation } : {}),
        createdAt: now(),
        token: `tok_${randomId()}`,
        userId: `pla_${randomId()}`,
      }
      tokens.add(account.token)
      accounts.set(account.id, { ...account, relay: createRelay({ publicClient, relayerClient, account: address, chainId, errors: openfortAccountAbis[accountType] }) })
      return account
    },
    sessions: () => [...sessions.values()].map(({ pending: _, ...session }) => session),
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

function sessionResponse(session: SessionRecord) {
  const { pending, account, validAfter, validUntil, limit, ...rest } = session
  return {
    ...rest,
    object: 'session',
    account: { id: account },
    validAfter: String(validAfter),
    validUntil: String(validUntil),
    ...(limit === undefined ? {} : { limit }),
    ...(pending ? { nextAction: { type: 'sign_with_wallet', payload: { signableHash: pending.signableHash } } } : {}),
  }
}

function intentResponse(intent: IntentRecord) {
  return {
    id: intent.id,
    object: 'transactionIntent',
    createdAt: intent.createdAt,
    updatedAt: intent.response?.createdAt ?? intent.createdAt,
    abstractionType: 'accountAbstractionV6',
    chainId: intent.chainId,
    interactions: intent.interactions,
    account: { id: intent.account },
    ...(intent.pending ? { nextAction: { type: 'sign_with_wallet', payload: { signableHash: intent.pending.signableHash } } } : {}),
    ...(intent.response ? { response: intent.response } : {}),
  }
}

function receiptResponse(receipt: TransactionReceipt, createdAt: number) {
  return {
    createdAt,
    blockNumber: Number(receipt.blockNumber),
    transactionHash: receipt.transactionHash,
    gasUsed: receipt.gasUsed.toString(),
    status: receipt.status === 'success' ? 1 : 0,
    to: receipt.to,
    logs: receipt.logs.map((log) => ({
      blockNumber: Number(log.blockNumber),
      blockHash: log.blockHash,
      transactionIndex: log.transactionIndex,
      removed: log.removed,
      address: log.address,
      data: log.data,
      topics: log.topics,
      transactionHash: log.transactionHash,
      logIndex: log.logIndex,
    })),
  }
}

async function readBody(request: IncomingMessage): Promise<Body> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  if (chunks.length === 0) return {}
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    return typeof parsed === 'object' && parsed !== null ? (parsed as Body) : {}
  } catch {
    throw new HttpError(400, 'the body is not JSON')
  }
}

// Openfort's ids are opaque: a prefix and random hex.
function randomId(): string {
  return bytesToHex(crypto.getRandomValues(new Uint8Array(12))).slice(2)
}
