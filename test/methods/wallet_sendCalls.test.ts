import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { encodeFunctionData, keccak256, parseAbi, type Address, type Hex } from 'viem'
import type { Executor } from '../../src/execution/types.js'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import { withSessionKeys } from '../../src/provider.js'
import { memoryStore } from '../../src/sessions/memoryStore.js'
import { fileStore } from '../../src/sessions/stores/fileStore.js'
import type { KeyleashOptions } from '../../src/options.js'
import { fail } from '../utils/scriptedProvider.js'
import { scriptedPreparer } from '../utils/scriptedPreparer.js'
import { account, nft, now, scriptedWallet } from '../utils/scriptedWallet.js'
import { rejectionOf } from '../utils/rejection.js'
import { autoRouting } from '../../src/sessions/autoRouting.js'

const abi = parseAbi(['function mint(address to)', 'function burn(uint256 id)'])
const mint = (to: Address = account): Hex => encodeFunctionData({ abi, functionName: 'mint', args: [to] })
const burn: Hex = encodeFunctionData({ abi, functionName: 'burn', args: [1n] })

async function setup(options: KeyleashOptions = {}, policies: unknown[] = []) {
  const preparer = scriptedPreparer()
  const inner = scriptedWallet('erc7715', preparer.script)
  const provider = withSessionKeys(inner, { now: () => now, ...options })
  const privateKey = generatePrivateKey()
  const key = await provider.sessions.importKey(privateKey)
  const { permissionsContext: context } = (await provider.request({
    method: 'wallet_grantPermissions',
    params: [{ expiry: 3600, signer: { type: 'account', data: { id: key } }, permissions: [{ type: 'contract-call', data: { address: nft, calls: ['mint(address)'] }, policies }] }],
  })) as { permissionsContext: string }
  const send = (calls: { to: Address; data?: Hex; value?: Hex }[], capabilities: object = { permissions: { context } }) =>
    provider.request({ method: 'wallet_sendCalls', params: [{ version: '2.0.0', chainId: '0x7a69', atomicRequired: true, calls, capabilities }] })
  return { inner, provider, key, privateKey, context, send, sent: preparer.sent }
}


describe('wallet_sendCalls with a permissions context', () => {
  test('default: calls that fit are signed with the session key, through ERC-7836, without a prompt', async () => {
    const { inner, key, privateKey, send, sent, provider, context } = await setup()
    expect(await send([{ to: nft, data: mint() }])).toStrictEqual({ id: `0x${'1'.padStart(64, '0')}` })
    expect(sent).toStrictEqual([{ signer: key, calls: [{ to: nft, data: mint() }] }])
    const [[prepared]] = inner.paramsOf('wallet_prepareCalls') as [[{ from: Address; key: unknown; capabilities: unknown }]]
    expect(prepared).toMatchObject({ from: account, key: { type: 'secp256k1', publicKey: key }, capabilities: { permissions: { context } } })
    expect(inner.paramsOf('wallet_sendCalls')).toHaveLength(0)
    expect((await provider.sessions.get(context))?.usage.calls).toBe(1)
    expect(JSON.stringify(inner.requests)).not.toContain(privateKey.slice(2))
  })

  test('behavior: the wallet\'s accounts and `from` name the session\'s account whatever their case', async () => {
    const { inner, provider, send, context } = await setup()
    inner.script({ eth_accounts: [account.toLowerCase()] })
    expect(await send([{ to: nft, data: mint() }])).toHaveProperty('id')
    const lower = { version: '2.0.0', from: account.toLowerCase(), chainId: '0x7a69', atomicRequired: true, calls: [{ to: nft, data: mint() }], capabilities: { permissions: { context } } }
    expect(await provider.request({ method: 'wallet_sendCalls', params: [lower] })).toHaveProperty('id')
    expect((await provider.sessions.get(context))?.usage.calls).toBe(2)
  })

  test('behavior: a session whose key the wallet holds (signer type wallet, as viem grants for a JSON-RPC account) sends through the wallet, under its context, untouched', async () => {
    const { inner, provider } = await setup()
    inner.script({ wallet_sendCalls: { id: 'wallet' } })
    const { permissionsContext: context } = (await provider.request({
      method: 'wallet_grantPermissions',
      params: [{ expiry: 3600, signer: { type: 'wallet' }, permissions: [{ type: 'contract-call', data: { address: nft, calls: ['mint(address)'] }, policies: [] }] }],
    })) as { permissionsContext: string }
    const request = { version: '2.0.0', chainId: '0x7a69', atomicRequired: true, calls: [{ to: nft, data: mint() }], capabilities: { permissions: { context } } }
    expect(await provider.request({ method: 'wallet_sendCalls', params: [request] })).toStrictEqual({ id: 'wallet' })
    expect(inner.paramsOf('wallet_sendCalls')).toStrictEqual([[request]])
    expect(inner.paramsOf('wallet_prepareCalls')).toHaveLength(0)
  })

  test('error: a call outside the grant is refused with 4100 and a reason per call, before the wallet sees it', async () => {
    const { inner, send } = await setup()
    const error = await rejectionOf(send([{ to: nft, data: mint() }, { to: nft, data: burn }, { to: account, data: '0x' }]))
    expect(error.code).toBe(4100)
    expect(error.message).toMatch(/^the calls do not fit session 0x0001: call 1: .*; call 2: /)
    expect((error.data?.reasons as ({ reason: string } | null)[]).map((r) => r?.reason ?? null)).toStrictEqual([null, 'selector-not-allowed', 'self-call'])
    expect(inner.paramsOf('wallet_prepareCalls')).toHaveLength(0)
  })

  test('behavior: a call limit of N holds under 100 concurrent sends: exactly N are signed', async () => {
    const { send, sent } = await setup({}, [{ type: 'call-limit', data: { count: 7 } }])
    const results = await Promise.allSettled(Array.from({ length: 100 }, () => send([{ to: nft, data: mint() }])))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(7)
    expect(sent).toHaveLength(7)
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    expect(refused.every((r) => r.reason.code === 4100 && r.reason.data.reasons[0].reason === 'call-limit-reached')).toBe(true)
  })

  test('error: when the wallet fails to prepare, nothing was signed: the reserved usage is released and the error keeps its code', async () => {
    const { inner, send, provider, context } = await setup({}, [{ type: 'call-limit', data: { count: 1 } }])
    inner.script({ wallet_prepareCalls: fail({ code: 4900, message: 'Disconnected' }) })
    expect(await rejectionOf(send([{ to: nft, data: mint() }]))).toMatchObject({ code: 4900, message: 'Disconnected' })
    expect((await provider.sessions.get(context))?.usage.calls).toBe(0)
    inner.script(scriptedPreparer().script)
    expect(await send([{ to: nft, data: mint() }])).toHaveProperty('id')
  })

  test.each([
    ['not an object', 'garbage', 'wallet_prepareCalls result: must be an object, got "garbage"'],
    ['no digest', {}, 'wallet_prepareCalls result.digest: must be a non-empty string, got nothing'],
  ])('error: a wallet_prepareCalls answer that cannot be read (%s) is the wallet\'s fault: -32603, not -32602, and nothing is signed', async (_, answer, message) => {
    const { inner, send, provider, context, sent } = await setup()
    inner.script({ wallet_prepareCalls: answer })
    expect(await rejectionOf(send([{ to: nft, data: mint() }]))).toMatchObject({ code: -32603, message: `the wallet's answer cannot be read: ${message}` })
    expect(sent).toHaveLength(0)
    expect((await provider.sessions.get(context))?.usage.calls).toBe(0)
  })

  test('error: when the wallet fails after it was handed the signed calls, the usage stays reserved (they may have executed)', async () => {
    const { inner, send, provider, context } = await setup({}, [{ type: 'call-limit', data: { count: 1 } }])
    inner.script({ wallet_sendPreparedCalls: fail({ code: 4900, message: 'Disconnected' }) })
    expect(await rejectionOf(send([{ to: nft, data: mint() }]))).toMatchObject({ code: 4900, message: 'Disconnected' })
    expect((await provider.sessions.get(context))?.usage.calls).toBe(1)
    inner.script(scriptedPreparer().script)
    expect(await rejectionOf(send([{ to: nft, data: mint() }]))).toMatchObject({ code: 4100, data: { reasons: [{ reason: 'call-limit-reached' }] } })
  })

  test('error: a session revoked after its calls were reserved, before the key signs, signs nothing (4100) and gives the usage back', async () => {
    const signatures: Hex[] = []
    let revoke = async (_id: string) => {}
    const executor: Executor = async ({ session, signer, submitting }) => {
      // The wallet is preparing the calls when the app revokes.
      await revoke(session.id)
      signatures.push(await (signer.sign as NonNullable<typeof signer.sign>)({ hash: keccak256('0x01') }))
      submitting()
      return { id: 'sent' }
    }
    const { send, provider, context } = await setup({ executor })
    revoke = (id) => provider.sessions.revoke(id, { wallet: false })
    expect(await rejectionOf(send([{ to: nft, data: mint() }]))).toMatchObject({
      code: 4100,
      message: `session ${context} was revoked or expired while its calls were being prepared; its key signed nothing`,
    })
    expect(signatures).toHaveLength(0)
    expect((await provider.sessions.get(context))?.usage.calls).toBe(0)
  })

  test('error: a context keyleash does not hold is answered by keyleash (-32602, what to do), never sent to the wallet; calls without one go to the wallet', async () => {
    const { inner, send, provider } = await setup()
    inner.script({ wallet_sendCalls: { id: 'from-the-wallet' } })
    const error = await rejectionOf(send([{ to: nft, data: mint() }], { permissions: { context: '0xelsewhere' } }))
    expect(error).toMatchObject({
      code: -32602,
      message: "params[0].capabilities.permissions.context: 0xelsewhere names no session keyleash holds for this provider's accounts",
      data: { field: 'params[0].capabilities.permissions.context', hint: expect.stringContaining('encryptionKey') },
    })
    // sessions.check answers the same context with the same rule.
    expect((await rejectionOf(provider.sessions.check('0xelsewhere', []))).message).toBe("id: 0xelsewhere names no session keyleash holds for this provider's accounts")
    expect(await send([{ to: nft, data: mint() }], {})).toStrictEqual({ id: 'from-the-wallet' })
    expect(inner.paramsOf('wallet_sendCalls')).toHaveLength(1)
    expect(inner.paramsOf('wallet_prepareCalls')).toHaveLength(0)
  })

  test('error: a context whose record the store cannot open (another encryptionKey) gets the answer of an unknown one', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'keyleash-sendcalls-')), 'sessions.jsonl')
    try {
      const written = await setup({ store: fileStore(path, { encryptionKey: keccak256('0x01') }) })
      const errors: unknown[] = []
      const reopened = withSessionKeys(scriptedWallet('erc7715', scriptedPreparer().script), { now: () => now, store: fileStore(path, { encryptionKey: keccak256('0x02'), onError: (e) => errors.push(e) }) })
      const sendAs = (context: string) =>
        reopened.request({ method: 'wallet_sendCalls', params: [{ version: '2.0.0', chainId: '0x7a69', atomicRequired: true, calls: [{ to: nft, data: mint() }], capabilities: { permissions: { context } } }] })
      const [sealed, unknown] = [await rejectionOf(sendAs(written.context)), await rejectionOf(sendAs('0x0999'))]
      expect(sealed.code).toBe(-32602)
      expect(sealed.message.replace(written.context, '<context>')).toBe(unknown.message.replace('0x0999', '<context>'))
      expect(sealed.data).toStrictEqual(unknown.data)
      expect(errors.length).toBeGreaterThan(0)
    } finally {
      rmSync(dirname(path), { recursive: true, force: true })
    }
  })

  test('error: expired and revoked sessions never sign; the reason says which', async () => {
    let clock = now
    const { provider, send, context } = await setup({ now: () => clock })
    clock += 3600
    expect((await rejectionOf(send([{ to: nft, data: mint() }]))).data?.reasons).toMatchObject([{ reason: 'expired' }])
    clock = now
    await provider.sessions.revoke(context)
    expect((await rejectionOf(send([{ to: nft, data: mint() }]))).data?.reasons).toMatchObject([{ reason: 'revoked' }])
  })

  test('error: malformed calls name the field', async () => {
    const { send } = await setup()
    expect(await rejectionOf(send([{ to: 'nft' as Address }]))).toMatchObject({ code: -32602, message: 'params[0].calls[0].to: "nft" is not an address (0x and 40 hex digits)' })
  })
})

describe('auto-routing', () => {
  test('behavior: off by default, so calls without a context go to the wallet', async () => {
    const { inner, send } = await setup()
    inner.script({ wallet_sendCalls: { id: 'wallet' } })
    expect(await send([{ to: nft, data: mint() }], {})).toStrictEqual({ id: 'wallet' })
  })

  test('behavior: on, calls from the account that a live session covers are signed by it', async () => {
    const { send, sent, key } = await setup({ autoRoute: autoRouting() })
    await send([{ to: nft, data: mint() }], {})
    expect(sent.map((s) => s.signer)).toStrictEqual([key])
  })

  test('behavior: on, calls no session covers still go to the wallet', async () => {
    const { inner, send, sent } = await setup({ autoRoute: autoRouting() })
    inner.script({ wallet_sendCalls: { id: 'wallet' } })
    expect(await send([{ to: nft, data: burn }], {})).toStrictEqual({ id: 'wallet' })
    expect(sent).toHaveLength(0)
  })

  test('behavior: on, a session whose limits the calls would pass is passed over, and the calls go to the wallet (the index\'s copy of a session is as granted: it is checked again as stored)', async () => {
    const { inner, send, sent, key } = await setup({ autoRoute: autoRouting() }, [{ type: 'call-limit', data: { count: 1 } }])
    inner.script({ wallet_sendCalls: { id: 'wallet' } })
    expect(await send([{ to: nft, data: mint() }], {})).toHaveProperty('id')
    expect(await send([{ to: nft, data: mint() }], {})).toStrictEqual({ id: 'wallet' })
    expect(sent.map((s) => s.signer)).toStrictEqual([key])
  })

  test('behavior: on, a contract creation (a call or a transaction without to, or with to null) goes to the wallet, as it does with auto-routing off', async () => {
    const { inner, provider, send, sent } = await setup({ autoRoute: autoRouting() })
    inner.script({ wallet_sendCalls: { id: 'wallet' }, eth_sendTransaction: '0xfromwallet' })
    expect(await send([{ data: '0x6000' } as never], {})).toStrictEqual({ id: 'wallet' })
    expect(await send([{ to: null, data: '0x6000' } as never, { to: nft, data: mint() }], {})).toStrictEqual({ id: 'wallet' })
    expect(await provider.request({ method: 'eth_sendTransaction', params: [{ from: account, to: null, data: '0x6000' }] })).toBe('0xfromwallet')
    expect(sent).toHaveLength(0)
  })

  test('behavior: on, eth_sendTransaction under a session answers the transaction hash', async () => {
    const { provider, sent, key } = await setup({ autoRoute: autoRouting() })
    const hash = await provider.request({ method: 'eth_sendTransaction', params: [{ from: account, to: nft, data: mint() }] })
    expect(hash).toMatch(/^0x[0-9a-f]{64}$/)
    expect(sent.map((s) => s.signer)).toStrictEqual([key])
  })
})

describe('one store, two users', () => {
  const userB: Address = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
  /** A second provider on A's store, for user B (B's wallet connected to B only). */
  async function asB(options: KeyleashOptions = {}) {
    const store = memoryStore()
    const a = await setup({ store, autoRoute: autoRouting() })
    const preparer = scriptedPreparer()
    const innerB = scriptedWallet('erc7715', { ...preparer.script, eth_accounts: [userB], wallet_sendCalls: { id: 'from-b-wallet' }, eth_sendTransaction: '0xfromwallet' })
    const b = withSessionKeys(innerB, { now: () => now, store, autoRoute: autoRouting(), ...options })
    const sendB = (calls: { to: Address; data?: Hex }[], body: object = {}) =>
      b.request({ method: 'wallet_sendCalls', params: [{ version: '2.0.0', chainId: '0x7a69', atomicRequired: true, calls, ...body }] })
    return { a, b, innerB, sendB, sentB: preparer.sent }
  }

  test('error: B sending under A\'s context, live or revoked, with or without from, gets the answer of an unknown context: nothing signed, nothing of A shown', async () => {
    const { a, innerB, sendB, sentB } = await asB()
    const capabilities = { permissions: { context: a.context } }
    const unknown = await rejectionOf(sendB([{ to: nft, data: mint() }], { capabilities: { permissions: { context: '0x0999' } } }))
    const answers = async () => {
      const found = []
      for (const body of [{ capabilities }, { capabilities, from: account }, { capabilities, from: userB }]) found.push(await rejectionOf(sendB([{ to: nft, data: mint() }], body)))
      return found.map((error) => ({ code: error.code, message: error.message.replace(a.context, '0x0999'), data: error.data }))
    }
    const same = { code: unknown.code, message: unknown.message, data: unknown.data }
    expect(await answers()).toStrictEqual([same, same, same])
    expect((await a.provider.sessions.get(a.context))?.usage.calls).toBe(0)
    await a.provider.sessions.revoke(a.context, { wallet: false })
    expect(await answers()).toStrictEqual([same, same, same])
    expect(sentB).toHaveLength(0)
    expect(innerB.paramsOf('wallet_prepareCalls')).toHaveLength(0)
    expect(innerB.paramsOf('wallet_sendCalls')).toHaveLength(0)
  })

  test('error: with no from, the calls are the wallet\'s account\'s: a context of another account of the same provider is refused', async () => {
    const { send, context } = await setup({ account: [userB, account] })
    expect(await rejectionOf(send([{ to: nft, data: mint() }]))).toMatchObject({ code: 4100, data: { field: 'params[0].from' } })
  })

  test('behavior: auto-routing never picks A\'s session for B, even with from: A; the calls go to B\'s wallet', async () => {
    const { innerB, sendB, sentB, b } = await asB()
    expect(await sendB([{ to: nft, data: mint() }], { from: account })).toStrictEqual({ id: 'from-b-wallet' })
    expect(await b.request({ method: 'eth_sendTransaction', params: [{ from: account, to: nft, data: mint() }] })).toBe('0xfromwallet')
    expect(sentB).toHaveLength(0)
    expect(innerB.paramsOf('wallet_prepareCalls')).toHaveLength(0)
  })
})

describe('sessions.check', () => {
  test('default: says why not, call by call, without reserving anything', async () => {
    const { provider, context } = await setup()
    const result = await provider.sessions.check(context, [{ to: nft, data: mint() }, { to: nft, data: burn }])
    expect(result.allowed).toBe(false)
    expect(!result.allowed && result.reasons.map((r) => r?.reason ?? null)).toStrictEqual([null, 'selector-not-allowed'])
    expect(await provider.sessions.check(context, [{ to: nft, data: mint() }])).toMatchObject({ allowed: true })
    expect((await provider.sessions.get(context))?.usage.calls).toBe(0)
  })
  test('error: an unknown session', async () => {
    const { provider } = await setup()
    expect(await rejectionOf(provider.sessions.check('0xnope', []))).toMatchObject({ code: -32602, message: "id: 0xnope names no session keyleash holds for this provider's accounts" })
  })
  test('behavior: a signer whose key was never imported is not a signing session', async () => {
    const preparer = scriptedPreparer()
    const provider = withSessionKeys(scriptedWallet('erc7715', preparer.script), { now: () => now })
    const stranger = privateKeyToAccount(generatePrivateKey()).address
    const { permissionsContext } = (await provider.request({
      method: 'wallet_grantPermissions',
      params: [{ expiry: 3600, signer: { type: 'account', data: { id: stranger } }, permissions: [{ type: 'contract-call', data: { address: nft } }] }],
    })) as { permissionsContext: string }
    expect(await provider.sessions.check(permissionsContext, [{ to: nft, data: mint() }])).toMatchObject({ allowed: false, reasons: [{ reason: 'not-a-signing-session' }] })
  })
})
