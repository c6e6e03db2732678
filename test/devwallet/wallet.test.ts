import {
  type Address,
  BaseError,
  UserRejectedRequestError,
  type Hex,
  createPublicClient,
  createWalletClient,
  custom,
  encodeFunctionData,
  hashTypedData,
  http,
  isAddressEqual,
  parseEther,
  toFunctionSelector,
} from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { anvil } from 'viem/chains'
import { createConfig, injected } from '@wagmi/core'
import { beforeAll, beforeEach, describe, expect, test, vi } from 'vitest'
import { demoNftAbi, demoTokenAbi, sessionAccountAbi } from '../../src/devwallet/artifacts.js'
import { ANY_SELECTOR } from '../../src/devwallet/contracts.js'
import type { ApprovalPrompt } from '../../src/devwallet/context.js'
import type { PrepareCallsReturnType } from '../../src/devwallet/prepared.js'
import type { DevWalletDialectName } from '../../src/devwallet/dialects.js'
import { type DevWallet, createDevWallet } from '../../src/devwallet/wallet.js'
import { useSharedChain } from '../utils/chain.js'
import { rejectionOf as rejection } from '../utils/rejection.js'

const { rpcUrl } = useSharedChain()
const publicClient = createPublicClient({ chain: anvil, transport: http(rpcUrl), pollingInterval: 10 })

const mint = toFunctionSelector('mint(address)')
const transfer = '0xa9059cbb'

// Every wallet asks the same hook; a test sets `approving` and reads `asked`.
let approving = true
let asked: ApprovalPrompt[] = []
const approve = (prompt: ApprovalPrompt) => {
  asked.push(prompt)
  return approving
}

const wallets = {} as Record<DevWalletDialectName, DevWallet>
let wallet: DevWallet
let nft: Address
let token: Address

beforeAll(async () => {
  wallet = wallets.erc7715 = await createDevWallet({ rpcUrl, approve })
  ;({ nft, token } = wallet.contracts)
  for (const dialect of ['erc7715-2025', 'execution-permissions'] as const)
    wallets[dialect] = await createDevWallet({ rpcUrl, dialect, approve, contracts: wallet.contracts })
}, 60_000)

beforeEach(() => {
  approving = true
  asked = []
})

// --- helpers -------------------------------------------------------------------------------------

function request(method: string, params?: unknown, on: DevWallet = wallet): Promise<unknown> {
  return on.provider.request({ method, params })
}

/**
 * The bundle's status once mined. Anvil mines a transaction just after it answers
 * eth_sendRawTransaction, so a test waits for this before it ends (and is reverted), or the
 * transaction lands in the next test's chain.
 */
async function confirmed(id: string, on: DevWallet = wallet): Promise<{ status: number } & Record<string, unknown>> {
  for (;;) {
    const status = (await request('wallet_getCallsStatus', [id], on)) as { status: number }
    if (status.status !== 100) return status
    await new Promise((r) => setTimeout(r, 5))
  }
}

async function chainNow(): Promise<number> {
  return Number((await publicClient.getBlock()).timestamp)
}

function session(key: Address, on: DevWallet = wallet) {
  return publicClient.readContract({ address: on.account, abi: sessionAccountAbi, functionName: 'getSession', args: [key] })
}

/**
 * How many transactions to `to` were mined after block `since`: what this wallet sent, whatever
 * else mined blocks meanwhile (a block number alone drifts when the chain is busy).
 */
async function sentTo(to: Address, since: bigint): Promise<number> {
  const latest = await publicClient.getBlockNumber()
  let count = 0
  for (let number = since + 1n; number <= latest; number++) {
    const block = await publicClient.getBlock({ blockNumber: number, includeTransactions: true })
    count += block.transactions.filter((tx) => tx.to !== null && isAddressEqual(tx.to, to)).length
  }
  return count
}

function nftBalance(owner: Address): Promise<bigint> {
  return publicClient.readContract({ address: nft, abi: demoNftAbi, functionName: 'balanceOf', args: [owner] })
}

const mintCall = (to: Address = wallet.account) => ({ to: nft, data: encodeFunctionData({ abi: demoNftAbi, functionName: 'mint', args: [to] }) })

/** The seed's grant in the June 2024 shape, to `key`, expiring `expiry` (absolute). */
function seedGrant(key: Address, expiry: number, more: Record<string, unknown> = {}) {
  return [{ expiry, signer: { type: 'account', data: { id: key } }, permissions: [{ type: 'contract-call', data: { address: nft, calls: ['mint(address)'] }, policies: [], required: true }], ...more }]
}

function viemClient(on: DevWallet = wallet) {
  return createWalletClient({ account: on.account, chain: anvil, transport: custom(on.provider) })
}

// --- tests ---------------------------------------------------------------------------------------

describe('createDevWallet', () => {
  test('default: a funded SessionAccount owned by a fresh owner, the demo contracts, nothing asked yet', async () => {
    expect(await publicClient.readContract({ address: wallet.account, abi: sessionAccountAbi, functionName: 'owner' })).toBe(wallet.owner)
    expect(await publicClient.getBalance({ address: wallet.account })).toBe(parseEther('10'))
    expect(await publicClient.getCode({ address: nft })).toMatch(/^0x.+/)
    expect(await publicClient.getCode({ address: token })).toMatch(/^0x.+/)
    expect(wallet.prompts).toBe(0)
  })

  test('behavior: `contracts` are reused, and each wallet has its own account and owner', () => {
    const other = wallets['erc7715-2025']
    expect(other.contracts).toStrictEqual(wallet.contracts)
    expect(other.account).not.toBe(wallet.account)
    expect(other.owner).not.toBe(wallet.owner)
  })

  test('behavior: the provider is typed as viem\'s EIP-1193 provider: wagmi\'s injected connector takes it as it is, and connects', async () => {
    // wagmi's injected connector looks for a `window`; in a browser there is one.
    vi.stubGlobal('window', new EventTarget())
    try {
      const connector = createConfig({
        chains: [anvil],
        connectors: [injected({ target: () => ({ id: 'dev', name: 'Dev wallet', provider: wallet.provider }) })],
        transports: { [anvil.id]: http(rpcUrl) },
      }).connectors[0]!
      expect(await connector.getProvider()).toBe(wallet.provider)
      expect((await connector.connect()).accounts).toStrictEqual([wallet.account])
    } finally {
      vi.unstubAllGlobals()
    }
  })

  test('behavior: after close() every request is 4900', async () => {
    const closing = await createDevWallet({ rpcUrl, contracts: wallet.contracts })
    await closing.close()
    expect(await rejection(request('eth_chainId', [], closing))).toMatchObject({ code: 4900 })
  })
})

describe('accounts, chain and reads', () => {
  test('default: eth_chainId, eth_accounts, eth_requestAccounts', async () => {
    expect(await request('eth_chainId')).toBe('0x7a69')
    expect(await request('eth_accounts')).toStrictEqual([wallet.account])
    expect(await request('eth_requestAccounts')).toStrictEqual([wallet.account])
    const client = viemClient()
    expect(await client.getAddresses()).toStrictEqual([wallet.account])
    expect(await client.getChainId()).toBe(31337)
  })

  test('default: reads reach the node as they are', async () => {
    const reader = createPublicClient({ chain: anvil, transport: custom(wallet.provider) })
    expect(await reader.getBalance({ address: wallet.account })).toBe(parseEther('10'))
    // The genesis block: the same node, and a value no other sender moves.
    expect((await reader.getBlock({ blockNumber: 0n })).hash).toBe((await publicClient.getBlock({ blockNumber: 0n })).hash)
    expect(await reader.readContract({ address: wallet.account, abi: sessionAccountAbi, functionName: 'owner' })).toBe(wallet.owner)
  })

  test('behavior: a reverting eth_call keeps the node\'s code and revert data', async () => {
    const data = encodeFunctionData({ abi: sessionAccountAbi, functionName: 'revokeSession', args: [wallet.owner] })
    const error = await rejection(request('eth_call', [{ to: wallet.account, data }, 'latest']))
    expect(error.code).toBe(3)
    expect(error.data).toBe(encodeFunctionData({ abi: [{ type: 'function', name: 'NotOwner', inputs: [] }], functionName: 'NotOwner' }))
  })

  test('error: an unknown method is 4200; eth_sendTransaction says what to use', async () => {
    expect(await rejection(request('eth_frobnicate'))).toMatchObject({ code: 4200 })
    expect(await rejection(request('eth_sendTransaction', [{ to: nft }]))).toMatchInlineSnapshot(`
      {
        "code": 4200,
        "data": undefined,
        "message": "the dev wallet does not support eth_sendTransaction: the account is a smart contract; use wallet_sendCalls",
      }
    `)
    expect(await rejection(request('anvil_setBalance', [wallet.account, '0x0']))).toMatchObject({ code: 4200 })
  })

  test('default: wallet_getCapabilities in the ERC-5792 shape', async () => {
    expect(await request('wallet_getCapabilities', [wallet.account])).toStrictEqual({
      '0x7a69': {
        atomic: { status: 'supported' },
        permissions: { supported: true, signerTypes: ['account'], keyTypes: ['secp256k1'], permissionTypes: ['contract-call', 'native-token-transfer', 'erc20-token-transfer'] },
      },
    })
    expect(await viemClient().getCapabilities({ chainId: 31337 })).toMatchObject({ atomic: { status: 'supported' } })
  })
})

describe('wallet_sendCalls (ERC-5792, owner-signed)', () => {
  test('default: viem sendCalls + waitForCallsStatus mints an NFT to the account, after one prompt', async () => {
    const client = viemClient()
    const { id } = await client.sendCalls({ calls: [{ to: nft, abi: demoNftAbi, functionName: 'mint', args: [wallet.account] }] })
    const status = await client.waitForCallsStatus({ id, pollingInterval: 10 })
    expect(status).toMatchObject({ status: 'success', statusCode: 200, atomic: true, chainId: 31337, version: '2.0.0' })
    expect(status.receipts?.[0]?.status).toBe('success')
    expect(await nftBalance(wallet.account)).toBe(1n)
    expect(asked.map((p) => p.method)).toStrictEqual(['wallet_sendCalls'])
    expect(asked[0]?.summary).toBe(`call ${mint} on ${nft}`)
  })

  test('behavior: several calls, with value, in one atomic transaction; the app\'s id is kept', async () => {
    const recipient = privateKeyToAccount(generatePrivateKey()).address
    const { id } = (await request('wallet_sendCalls', [
      { version: '2.0.0', id: 'my-batch', chainId: '0x7a69', atomicRequired: true, calls: [mintCall(), mintCall(), { to: recipient, value: '0x64' }] },
    ])) as { id: string }
    expect(id).toBe('my-batch')
    const status = await confirmed(id)
    expect(status).toMatchObject({ version: '2.0.0', id, chainId: '0x7a69', status: 200, atomic: true })
    expect(status.receipts).toHaveLength(1)
    expect(await nftBalance(wallet.account)).toBe(2n)
    expect(await publicClient.getBalance({ address: recipient })).toBe(100n)
  })

  test('error: approve=false is 4001 and nothing reaches the chain', async () => {
    approving = false
    const block = await publicClient.getBlockNumber()
    const error = await viemClient()
      .sendCalls({ calls: [{ to: nft, abi: demoNftAbi, functionName: 'mint', args: [wallet.account] }] })
      .catch((e: unknown) => e)
    // viem wraps it (TransactionExecutionError); the wallet's 4001 is its cause.
    expect((error as BaseError).walk((e) => e instanceof UserRejectedRequestError)).toMatchObject({ code: 4001 })
    expect(await sentTo(wallet.account, block)).toBe(0)
    expect(wallet.prompts).toBeGreaterThan(0)
  })

  test('error: a batch that would revert is refused with the decoded reason and not sent', async () => {
    const block = await publicClient.getBlockNumber()
    const data = encodeFunctionData({ abi: demoTokenAbi, functionName: 'transfer', args: [wallet.owner, 1n] })
    const error = await rejection(request('wallet_sendCalls', [{ version: '2.0.0', chainId: '0x7a69', atomicRequired: true, calls: [{ to: token, data }] }]))
    expect(error.code).toBe(-32003)
    expect(error.message).toBe(`execution reverted: CallFailed(0, ${(error.data as { args: [number, Hex] }).args[1]}): ERC20InsufficientBalance(${wallet.account}, 0, 1)`)
    expect(error.data).toMatchObject({ errorName: 'CallFailed', reason: { errorName: 'ERC20InsufficientBalance', args: [wallet.account, 0, 1] } })
    expect(await sentTo(wallet.account, block)).toBe(0)
    // Simulated before the prompt: nobody is asked to confirm a batch that cannot succeed.
    expect(asked).toHaveLength(0)
  })

  test('error: another `from` is 4100, another chain -32602, permissions capability -32602, unknown capability 5700', async () => {
    const body = { version: '2.0.0', chainId: '0x7a69', atomicRequired: true, calls: [mintCall()] }
    expect(await rejection(request('wallet_sendCalls', [{ ...body, from: wallet.owner }]))).toMatchObject({ code: 4100 })
    expect(await rejection(request('wallet_sendCalls', [{ ...body, chainId: '0x1' }]))).toMatchObject({ code: -32602, message: "params[0].chainId: 1 is not this wallet's chain (31337)" })
    expect(await rejection(request('wallet_sendCalls', [{ ...body, capabilities: { permissions: { context: '0x01' } } }]))).toMatchObject({
      code: -32602,
      message: expect.stringContaining('params[0].capabilities.permissions: the dev wallet keeps no sessions'),
    })
    expect(await rejection(request('wallet_sendCalls', [{ ...body, capabilities: { paymasterService: { url: 'x' } } }]))).toMatchObject({ code: 5700 })
    const optional = (await request('wallet_sendCalls', [{ ...body, capabilities: { paymasterService: { url: 'x', optional: true } } }])) as { id: string }
    expect(await confirmed(optional.id)).toMatchObject({ status: 200 })
    expect(await rejection(request('wallet_sendCalls', [{ ...body, calls: [] }]))).toMatchObject({ code: -32602, message: 'params[0].calls: must hold at least one call' })
    expect(asked).toHaveLength(1)
  })

  test('error: wallet_getCallsStatus for an unknown id is 5730; a reused id is 5720', async () => {
    expect(await rejection(request('wallet_getCallsStatus', ['0x1234']))).toMatchObject({ code: 5730 })
    const body = { version: '2.0.0', id: 'twice', chainId: '0x7a69', atomicRequired: true, calls: [mintCall()] }
    await confirmed(((await request('wallet_sendCalls', [body])) as { id: string }).id)
    expect(await rejection(request('wallet_sendCalls', [body]))).toMatchObject({ code: 5720 })
  })
})

describe('wallet_grantPermissions (ERC-7715, June 2024: erc7715)', () => {
  test('default: registers exactly the asked scope, after one prompt, and answers in the dialect\'s shape', async () => {
    const key = privateKeyToAccount(generatePrivateKey()).address
    const expiry = (await chainNow()) + 3600
    const answer = await request('wallet_grantPermissions', seedGrant(key, expiry))
    expect(answer).toStrictEqual({
      expiry,
      grantedPermissions: [{ type: 'contract-call', data: { address: nft, calls: [mint] }, policies: [], required: true }],
      permissionsContext: key,
    })
    expect(await session(key)).toMatchObject({ exists: true, revoked: false, validUntil: expiry, callLimit: 0, scopes: [{ target: nft, selector: mint }], tokens: [] })
    expect(asked).toHaveLength(1)
    expect(asked[0]).toMatchObject({ method: 'wallet_grantPermissions', summary: `session key ${key} until ${new Date(expiry * 1000).toISOString()}: call ${mint} on ${nft}` })
  })

  test('behavior: contract-call with no calls, erc20, native and a call-limit become ANY_SELECTOR, a token allowance, a native allowance, callLimit', async () => {
    const key = privateKeyToAccount(generatePrivateKey()).address
    const expiry = (await chainNow()) + 3600
    const answer = (await request('wallet_grantPermissions', [
      {
        expiry,
        signer: { type: 'account', data: { id: key } },
        permissions: [
          { type: 'contract-call', data: { address: nft, calls: [] }, policies: [{ type: 'call-limit', data: { count: 5 } }] },
          { type: 'erc20-token-transfer', data: { address: token, allowance: '0x64' }, policies: [] },
          { type: 'native-token-transfer', data: { allowance: '0x3e8' }, policies: [] },
          { type: 'not-enforceable', data: {}, required: false },
        ],
      },
    ])) as { grantedPermissions: unknown[] }
    const onChain = await session(key)
    expect(onChain).toMatchObject({ callLimit: 5, nativeAllowance: 1000n, tokens: [{ token, allowance: 100n, spent: 0n }] })
    expect(onChain.scopes).toStrictEqual([
      { target: nft, selector: ANY_SELECTOR },
      { target: token, selector: transfer },
    ])
    // The optional custom permission was left out: granted less, and said so.
    expect(answer.grantedPermissions).toStrictEqual([
      { type: 'contract-call', data: { address: nft, calls: [] }, policies: [{ type: 'call-limit', data: { count: 5 } }], required: true },
      { type: 'erc20-token-transfer', data: { address: token, allowance: '0x64' }, policies: [], required: true },
      { type: 'native-token-transfer', data: { allowance: '0x3e8' }, policies: [], required: true },
    ])
  })

  test('error: approve=false is 4001 and nothing is registered', async () => {
    approving = false
    const key = privateKeyToAccount(generatePrivateKey()).address
    const error = await rejection(request('wallet_grantPermissions', seedGrant(key, (await chainNow()) + 3600)))
    expect(error).toMatchObject({ code: 4001, message: 'User rejected wallet_grantPermissions (approve returned false)' })
    expect((await session(key)).exists).toBe(false)
    expect(asked).toHaveLength(1)
  })

  test('error: what the account cannot enforce or check is -32602, naming it, before any prompt', async () => {
    const key = privateKeyToAccount(generatePrivateKey()).address
    const expiry = (await chainNow()) + 3600
    const limited = (type: string, data: object) => [{ expiry, signer: { type: 'account', data: { id: key } }, permissions: [{ type: 'contract-call', data: { address: nft, calls: [] }, policies: [{ type, data }] }] }]
    expect(await rejection(request('wallet_grantPermissions', limited('rate-limit', { count: 1, interval: 60 })))).toMatchObject({
      code: -32602,
      message: "policies: a rate-limit policy cannot be enforced by the dev wallet's SessionAccount; only call-limit",
    })
    expect(await rejection(request('wallet_grantPermissions', limited('gas-limit', { limit: '0x10' })))).toMatchObject({ code: -32602, message: expect.stringContaining('gas-limit') })
    const keys = [{ ...seedGrant(key, expiry)[0], signer: { type: 'keys', data: { ids: [`0x04${'11'.repeat(64)}`] } } }]
    expect(await rejection(request('wallet_grantPermissions', keys))).toMatchObject({ code: -32602, message: expect.stringContaining('signer: a keys signer has no address') })
    const wildcard = [{ expiry, signer: { type: 'account', data: { id: key } }, permissions: [{ type: 'contract-call', data: { address: nft, calls: ['0xffffffff'] } }] }]
    expect(await rejection(request('wallet_grantPermissions', wildcard))).toMatchObject({ code: -32602, message: expect.stringContaining("selector 0xffffffff is the SessionAccount's wildcard") })
    const noSigner = [{ expiry, permissions: seedGrant(key, expiry)[0]?.permissions }]
    expect(await rejection(request('wallet_grantPermissions', noSigner))).toMatchObject({ code: -32602, message: expect.stringContaining('signer: is required') })
    expect(await rejection(request('wallet_grantPermissions', seedGrant(key, (await chainNow()) - 10)))).toMatchObject({ code: -32602, message: expect.stringContaining('expiry') })
    expect(await rejection(request('wallet_grantPermissions', seedGrant(wallet.account, expiry)))).toMatchObject({ code: -32602, message: 'signer: is the account itself; a session key must be another key' })
    const self = [{ expiry, signer: { type: 'account', data: { id: key } }, permissions: [{ type: 'contract-call', data: { address: wallet.account, calls: [] } }] }]
    expect(await rejection(request('wallet_grantPermissions', self))).toMatchObject({ code: -32602, message: expect.stringContaining('is the account itself') })
    expect(await rejection(request('wallet_requestExecutionPermissions', []))).toMatchObject({ code: 4200 })
    expect(asked).toHaveLength(0)
  })

  test('default: revoke by permissionContext after a prompt, visible on-chain; wagmi\'s eth_accounts form is null without one', async () => {
    const key = privateKeyToAccount(generatePrivateKey()).address
    const { permissionsContext } = (await request('wallet_grantPermissions', seedGrant(key, (await chainNow()) + 3600))) as { permissionsContext: string }
    expect(await request('wallet_revokePermissions', [{ permissionContext: permissionsContext }])).toStrictEqual({})
    expect((await session(key)).revoked).toBe(true)
    expect(await request('wallet_revokePermissions', [{ eth_accounts: {} }])).toBeNull()
    expect(asked.map((p) => p.method)).toStrictEqual(['wallet_grantPermissions', 'wallet_revokePermissions'])
  })

  test('error: revoking an unknown context is -32602; a rejected revoke leaves the session live', async () => {
    const stranger = privateKeyToAccount(generatePrivateKey()).address
    expect(await rejection(request('wallet_revokePermissions', [{ permissionContext: stranger }]))).toMatchObject({ code: -32602, message: `params[0].permissionContext: ${stranger} is not a session of this wallet` })
    const key = privateKeyToAccount(generatePrivateKey()).address
    await request('wallet_grantPermissions', seedGrant(key, (await chainNow()) + 3600))
    approving = false
    expect(await rejection(request('wallet_revokePermissions', [{ permissionContext: key }]))).toMatchObject({ code: 4001 })
    expect((await session(key)).revoked).toBe(false)
  })
})

describe('the other dialects', () => {
  test('erc7715-2025: a list of requests in one transaction, answered as the list plus each context', async () => {
    const on = wallets['erc7715-2025']
    const [a, b] = [privateKeyToAccount(generatePrivateKey()).address, privateKeyToAccount(generatePrivateKey()).address]
    const expiry = (await chainNow()) + 3600
    const body = (key: Address, address: Address) => ({ chainId: '0x7a69', address: on.account, expiry, signer: { type: 'account', data: { address: key } }, permissions: [{ type: 'contract-call', data: { address, calls: [mint] } }] })
    const block = await publicClient.getBlockNumber()
    const answer = await request('wallet_grantPermissions', [body(a, nft), body(b, token)], on)
    expect(answer).toStrictEqual([
      { ...body(a, nft), context: a },
      { ...body(b, token), context: b },
    ])
    expect(await sentTo(on.account, block)).toBe(1)
    expect((await session(b, on)).scopes).toStrictEqual([{ target: token, selector: mint }])
    const twice = await rejection(request('wallet_grantPermissions', [body(a, nft), body(a, token)], on))
    expect(twice).toMatchObject({ code: -32602, message: '[1].signer: names the same key as an earlier grant in this batch; send one grant per key' })
  })

  test('execution-permissions: wallet_requestExecutionPermissions, revoked with wallet_revokeExecutionPermission', async () => {
    const on = wallets['execution-permissions']
    const key = privateKeyToAccount(generatePrivateKey()).address
    const timestamp = (await chainNow()) + 3600
    const asking = { chainId: '0x7a69', from: on.account, to: key, permission: { type: 'contract-call', isAdjustmentAllowed: true, data: { address: nft, calls: ['mint(address)'] } }, rules: [{ type: 'expiry', data: { timestamp } }] }
    const answer = await request('wallet_requestExecutionPermissions', [asking], on)
    expect(answer).toStrictEqual([
      {
        chainId: '0x7a69',
        from: on.account,
        to: key,
        permission: { type: 'contract-call', isAdjustmentAllowed: true, data: { address: nft, calls: [mint] } },
        rules: [{ type: 'expiry', data: { timestamp } }],
        context: key,
        dependencies: [],
      },
    ])
    expect(await session(key, on)).toMatchObject({ validUntil: timestamp, scopes: [{ target: nft, selector: mint }] })
    expect(await rejection(request('wallet_grantPermissions', seedGrant(key, timestamp), on))).toMatchObject({ code: 4200 })
    expect(await rejection(request('wallet_requestExecutionPermissions', [{ ...asking, from: wallet.account }], on))).toMatchObject({ code: -32602, message: expect.stringContaining("[0].from: ") })
    expect(await request('wallet_revokeExecutionPermission', [{ permissionContext: key }], on)).toStrictEqual({})
    expect((await session(key, on)).revoked).toBe(true)
  })
})

describe('wallet_prepareCalls / wallet_sendPreparedCalls (ERC-7836, a key the app holds)', () => {
  async function grantMint() {
    const key = privateKeyToAccount(generatePrivateKey())
    await request('wallet_grantPermissions', seedGrant(key.address, (await chainNow()) + 3600))
    asked = []
    return key
  }
  const prepare = (key: Address, calls: unknown[]) =>
    request('wallet_prepareCalls', [
      // keyleash's executor names the session in `capabilities.permissions`; the account needs no more than the key.
      { version: '1.0', from: wallet.account, chainId: '0x7a69', calls, capabilities: { permissions: { context: key } }, key: { type: 'secp256k1', publicKey: key } },
    ]) as Promise<PrepareCallsReturnType>

  test('default: a session key signs the digest raw and mints, with no prompt', async () => {
    const key = await grantMint()
    const prepared = await prepare(key.address, [mintCall()])
    expect(prepared).toMatchObject({ chainId: '0x7a69', key: { type: 'secp256k1', publicKey: key.address }, capabilities: {} })
    expect(prepared.context.calls).toStrictEqual([{ ...mintCall(), value: '0x0' }])
    expect(prepared.digest).toBe(hashTypedData({ ...prepared.typedData, message: { calls: prepared.typedData.message.calls.map((c) => ({ ...c, value: BigInt(c.value) })), nonce: BigInt(prepared.typedData.message.nonce) } }))
    // The JSON typed data signs to the same signature as the raw digest.
    const signature = await key.sign({ hash: prepared.digest })
    // (Its uint256 values are hex strings, which viem accepts at run time but not in its types.)
    expect(await key.signTypedData(prepared.typedData as never)).toBe(signature)
    const { id } = (await request('wallet_sendPreparedCalls', [{ context: prepared.context, key: prepared.key, signature }])) as { id: string }
    expect(await confirmed(id)).toMatchObject({ status: 200, atomic: true })
    expect(await nftBalance(wallet.account)).toBe(1n)
    expect(asked).toHaveLength(0)
    expect((await session(key.address)).callsUsed).toBe(1)
  })

  test('error: an off-scope call fails with the decoded reason, and nothing is sent', async () => {
    const key = await grantMint()
    const data = encodeFunctionData({ abi: demoNftAbi, functionName: 'setApprovalForAll', args: [key.address, true] })
    const prepared = await prepare(key.address, [{ to: nft, data }])
    const block = await publicClient.getBlockNumber()
    const error = await rejection(request('wallet_sendPreparedCalls', [{ context: prepared.context, key: prepared.key, signature: await key.sign({ hash: prepared.digest }) }]))
    expect(error).toMatchObject({
      code: -32003,
      message: `execution reverted: SelectorNotAllowed(${nft}, 0xa22cb465)`,
      data: { errorName: 'SelectorNotAllowed', args: [nft, '0xa22cb465'], data: expect.stringMatching(/^0xebd03c52/) },
    })
    expect(await sentTo(wallet.account, block)).toBe(0)
  })

  test('error: an unregistered key, a signature by another key, a stranger `from`', async () => {
    const stranger = privateKeyToAccount(generatePrivateKey())
    const prepared = await prepare(stranger.address, [mintCall()])
    const unknown = await rejection(request('wallet_sendPreparedCalls', [{ context: prepared.context, key: prepared.key, signature: await stranger.sign({ hash: prepared.digest }) }]))
    expect(unknown).toMatchObject({ code: -32003, message: `execution reverted: UnknownSession(${stranger.address})` })
    const key = await grantMint()
    const mismatch = await rejection(request('wallet_sendPreparedCalls', [{ context: prepared.context, key: { type: 'address', publicKey: key.address }, signature: await stranger.sign({ hash: prepared.digest }) }]))
    expect(mismatch).toMatchObject({ code: -32602, message: expect.stringContaining(`params[0].signature: was made by ${stranger.address}, not by the key ${key.address}`) })
    const other = request('wallet_prepareCalls', [{ from: wallet.owner, chainId: '0x7a69', calls: [mintCall()], key: { type: 'address', publicKey: key.address } }])
    expect(await rejection(other)).toMatchObject({ code: 4100 })
  })

  test('behavior: a session key given as its uncompressed public key', async () => {
    const key = await grantMint()
    const prepared = (await request('wallet_prepareCalls', [{ from: wallet.account, chainId: '0x7a69', calls: [mintCall()], key: { type: 'secp256k1', publicKey: key.publicKey } }])) as PrepareCallsReturnType
    const { id } = (await request('wallet_sendPreparedCalls', [{ chainId: '0x7a69', context: prepared.context, key: prepared.key, signature: await key.sign({ hash: prepared.digest }) }])) as { id: string }
    await confirmed(id)
    expect(await nftBalance(wallet.account)).toBe(1n)
  })
})

describe('signatures (EIP-1271 through the owner)', () => {
  test('default: personal_sign and eth_signTypedData_v4 verify for the account, each after a prompt', async () => {
    const client = viemClient()
    const signature = await client.signMessage({ message: 'hello keyleash' })
    expect(await publicClient.verifyMessage({ address: wallet.account, message: 'hello keyleash', signature })).toBe(true)
    const typed = {
      domain: { name: 'Demo', version: '1', chainId: 31337, verifyingContract: nft },
      types: { Mail: [{ name: 'to', type: 'address' }, { name: 'amount', type: 'uint256' }] },
      primaryType: 'Mail',
      message: { to: wallet.owner, amount: 10n ** 30n },
    } as const
    const typedSignature = await client.signTypedData(typed)
    expect(await publicClient.verifyTypedData({ ...typed, address: wallet.account, signature: typedSignature })).toBe(true)
    expect(asked.map((p) => p.method)).toStrictEqual(['personal_sign', 'eth_signTypedData_v4'])
  })

  test('error: another address is 4100, a rejected prompt 4001, malformed typed data -32602 without a prompt', async () => {
    expect(await rejection(request('personal_sign', ['0x68656c6c6f', wallet.owner]))).toMatchObject({ code: 4100 })
    expect(await rejection(request('eth_signTypedData_v4', [wallet.owner, '{}']))).toMatchObject({ code: 4100 })
    expect(await rejection(request('eth_signTypedData_v4', [wallet.account, '{"types":{},"primaryType":"Nope","message":{}}']))).toMatchObject({ code: -32602 })
    expect(asked).toHaveLength(0)
    approving = false
    expect(await rejection(request('personal_sign', ['0x68656c6c6f', wallet.account]))).toMatchObject({ code: 4001 })
  })
})
