import { inspect } from 'node:util'
import { JsonRpcError } from '@metamask/rpc-errors'
import { createWalletClient, custom, type Address } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { afterEach, describe, expect, test } from 'vitest'
import { methodHandlers } from '../src/methods/index.js'
import { erc7715 } from '../src/permissions/dialects/erc7715.js'
import type { MethodContext, MethodHandler } from '../src/methods/types.js'
import { withSessionKeys } from '../src/provider.js'
import { memoryStore } from '../src/sessions/memoryStore.js'
import { openfort } from '../src/wallets/openfort.js'
import { openfortExecutor } from '../src/execution/openfort.js'
import { fail, scriptedProvider } from './utils/scriptedProvider.js'
import { accounts, sessionFixture } from './utils/sessionFixture.js'
import { sessionSigning } from '../src/permissions/sessionSigning.js'
import { allowList } from '../src/permissions/allowList.js'
import { walletEnforcement } from '../src/permissions/enforcement.js'
import { rejection } from './utils/rejection.js'

const [address, other] = accounts

// Methods keyleash does not own (or owns only for session addresses): each must reach the
// wallet as the very same arguments object and come back as the very same result.
const passThrough: { method: string; params?: unknown; result: unknown }[] = [
  { method: 'eth_chainId', result: '0x1' },
  { method: 'eth_accounts', result: [address] },
  { method: 'eth_sendTransaction', params: [{ from: address, to: other, value: '0x1' }], result: `0x${'ab'.repeat(32)}` },
  // From an address that is no session's key: the wallet signs, not keyleash.
  { method: 'personal_sign', params: ['0x68656c6c6f', address], result: `0x${'cd'.repeat(65)}` },
  { method: 'eth_call', params: [{ to: other, data: '0x06fdde03' }, 'latest'], result: '0x' },
  { method: 'wallet_getCapabilities', params: [address], result: { '0x1': { atomic: { status: 'supported' } } } },
  { method: 'wallet_switchEthereumChain', params: [{ chainId: '0xa' }], result: null },
  { method: 'eth_getBalance', params: [address, 'latest'], result: '0xde0b6b3a7640000' },
  {
    method: 'wallet_sendCalls',
    params: [{ version: '2.0.0', from: address, chainId: '0x1', atomicRequired: true, calls: [{ to: other, data: '0x1249c58b' }] }],
    result: { id: '0x1234' },
  },
  {
    method: 'wallet_getCallsStatus',
    params: ['0x1234'],
    result: { version: '2.0.0', id: '0x1234', chainId: '0x1', status: 200, atomic: true, receipts: [] },
  },
  {
    method: 'eth_signTypedData_v4',
    params: [address, JSON.stringify({ types: {}, primaryType: 'Mail', domain: {}, message: {} })],
    result: `0x${'ef'.repeat(65)}`,
  },
]

/** Adds a handler to the routing table for one test; `afterEach` takes it out again. */
const added: string[] = []
function own(method: string, handler: MethodHandler): void {
  ;(methodHandlers as Record<string, MethodHandler>)[method] = handler
  added.push(method)
}
afterEach(() => {
  for (const method of added.splice(0)) delete (methodHandlers as Record<string, MethodHandler>)[method]
})

/** What a promise rejects with; fails the test when it resolves. */
async function rejectionOf<T = { code: number; message: string; data: { cause?: unknown } }>(promise: Promise<unknown>): Promise<T> {
  try {
    await promise
  } catch (error) {
    return error as T
  }
  throw new Error('expected a rejection, but the promise resolved')
}

/** The context the provider builds, as an owned handler sees it. */
async function contextOf(provider: ReturnType<typeof withSessionKeys>): Promise<MethodContext> {
  let seen: MethodContext | undefined
  own('test_context', async (_params, context) => {
    seen = context
  })
  await provider.request({ method: 'test_context' })
  return seen!
}

describe('pass-through', () => {
  test.each(passThrough)('default: $method reaches the wallet as it is and its result comes back as it is', async ({ method, params, result }) => {
    const inner = scriptedProvider({ [method]: result })
    const args = params === undefined ? { method } : { method, params }
    expect(await withSessionKeys(inner).request(args)).toBe(result)
    expect(inner.requests).toHaveLength(1)
    expect(inner.requests[0]).toBe(args)
    expect(inner.requests[0]!.params).toBe(params)
  })

  test.each(passThrough)('error: $method rejects with the wallet\'s own coded error object', async ({ method, params }) => {
    const error = new JsonRpcError(-32000, 'execution reverted', { reason: 'Paused()' })
    const inner = scriptedProvider({ [method]: error })
    const rejected = await rejectionOf(withSessionKeys(inner).request({ method, params }))
    expect(rejected).toBe(error)
    expect(rejected).toMatchObject({ code: -32000, message: 'execution reverted', data: { reason: 'Paused()' } })
  })

  test('behavior: wagmi\'s disconnect revoke ([{ eth_accounts: {} }]) reaches the wallet as sent', async () => {
    const inner = scriptedProvider({ wallet_revokePermissions: null })
    const params = [{ eth_accounts: {} }]
    expect(await withSessionKeys(inner).request({ method: 'wallet_revokePermissions', params })).toBeNull()
    expect(inner.paramsOf('wallet_revokePermissions')).toEqual([params])
    expect(inner.paramsOf('wallet_revokePermissions')[0]).toBe(params)
  })

  test('behavior: a plain-object rejection with an integer code (not an Error) passes as the same object', async () => {
    const rejection = { code: 4001, message: 'User rejected the request.' }
    const inner = scriptedProvider({ eth_sendTransaction: fail(rejection) })
    await expect(withSessionKeys(inner).request({ method: 'eth_sendTransaction', params: [] })).rejects.toBe(rejection)
  })

  test('behavior: a method named like an Object.prototype member is not taken for a handler', async () => {
    const inner = scriptedProvider({ toString: 'inner', constructor: 'inner', __proto__: 'inner' })
    const provider = withSessionKeys(inner)
    for (const method of ['toString', 'constructor', 'hasOwnProperty'])
      await provider.request({ method }).catch(() => undefined)
    expect(inner.requests.map((r) => r.method)).toEqual(['toString', 'constructor', 'hasOwnProperty'])
  })

  test('behavior: a wallet that answers with a bare value, not a promise, still works', async () => {
    const inner = { request: (() => '0x1') as unknown as () => Promise<unknown> }
    const pending = withSessionKeys(inner).request({ method: 'eth_chainId' })
    expect(pending).toBeInstanceOf(Promise)
    expect(await pending).toBe('0x1')
  })
})

describe('errors without a code', () => {
  test('default: become -32603 with the message kept and a JSON-safe cause', async () => {
    const thrown = new TypeError('socket hang up')
    const inner = scriptedProvider({ eth_chainId: thrown })
    const error = await rejectionOf(withSessionKeys(inner).request({ method: 'eth_chainId' }))
    expect(error).toMatchObject({ code: -32603, message: 'socket hang up', cause: thrown })
    expect((error as { data: unknown }).data).toEqual({ cause: { name: 'TypeError', message: 'socket hang up' } })
    expect(JSON.stringify(error)).toMatchInlineSnapshot(`"{"code":-32603,"message":"socket hang up","data":{"cause":{"name":"TypeError","message":"socket hang up"}}}"`)
  })

  test('behavior: no stack, object graph or non-JSON value reaches data', async () => {
    const thrown = Object.assign(new Error('boom'), { code: 'ECONNRESET', request: { secret: 'x', big: 1n } })
    const error = await rejectionOf(withSessionKeys(scriptedProvider({ eth_chainId: thrown })).request({ method: 'eth_chainId' }))
    expect(error.data).toEqual({ cause: { name: 'Error', message: 'boom', code: 'ECONNRESET' } })
    expect(JSON.stringify(error.data)).not.toContain('at ')
    expect(JSON.parse(JSON.stringify(error.data))).toEqual(error.data)
  })

  test.each([
    ['a string', 'wallet locked', 'wallet locked', 'wallet locked'],
    ['a plain object with a message', { message: 'no signer' }, 'no signer', { message: 'no signer' }],
    ['an Error with an empty message', new Error(''), 'Internal error', { name: 'Error', message: '' }],
    ['a non-integer code', { code: '4001', message: 'rejected' }, 'rejected', { message: 'rejected', code: '4001' }],
    ['undefined', undefined, 'Internal error', undefined],
  ])('behavior: %s becomes -32603', async (_, thrown, message, cause) => {
    const inner = { request: () => Promise.reject(thrown) }
    const error = await rejectionOf(withSessionKeys(inner).request({ method: 'eth_chainId' }))
    expect(error.code).toBe(-32603)
    expect(error.message).toBe(message)
    expect(error.data.cause).toEqual(cause)
  })

  test('behavior: a wallet whose request throws synchronously rejects instead of throwing', async () => {
    const inner = {
      request: (): Promise<unknown> => {
        throw new Error('not connected')
      },
    }
    const pending = withSessionKeys(inner).request({ method: 'eth_chainId' })
    await expect(pending).rejects.toMatchObject({ code: -32603, message: 'not connected' })
  })
})

describe('request arguments', () => {
  test.each([
    ['undefined', undefined, 'request: must be an object { method, params? }'],
    ['null', null, 'request: must be an object { method, params? }'],
    ['a string', 'eth_chainId', 'request: must be an object { method, params? }'],
    ['no method', {}, 'method: must be a non-empty string'],
    ['an empty method', { method: '' }, 'method: must be a non-empty string'],
    ['a numeric method', { method: 1 }, 'method: must be a non-empty string'],
  ])('error: %s is rejected with -32600 and never reaches the wallet', async (_, args, message) => {
    const inner = scriptedProvider({ eth_chainId: '0x1' })
    const request = withSessionKeys(inner).request as (args: unknown) => Promise<unknown>
    await expect(request(args)).rejects.toMatchObject({ code: -32600, message })
    expect(inner.requests).toHaveLength(0)
  })

  test('error: withSessionKeys refuses something that is not a provider', () => {
    expect(() => withSessionKeys({} as never)).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: provider: must be an EIP-1193 provider: an object with a \`request\` function]`)
  })
})

describe('owned methods', () => {
  test('default: a method in the table goes to its handler with params and context, not to the wallet', async () => {
    const inner = scriptedProvider({ test_owned: 'inner' })
    const params = [{ a: 1 }]
    let got: unknown
    own('test_owned', async (p) => {
      got = p
      return 'handled'
    })
    expect(await withSessionKeys(inner).request({ method: 'test_owned', params })).toBe('handled')
    expect(got).toBe(params)
    expect(inner.requests).toHaveLength(0)
  })

  test('behavior: what a handler throws leaves coded; a code-less throw becomes -32603', async () => {
    own('test_coded', async () => {
      throw new JsonRpcError(4100, 'not allowed')
    })
    own('test_plain', () => {
      throw new Error('store offline')
    })
    const provider = withSessionKeys(scriptedProvider())
    await expect(provider.request({ method: 'test_coded' })).rejects.toMatchObject({ code: 4100, message: 'not allowed' })
    await expect(provider.request({ method: 'test_plain' })).rejects.toMatchObject({ code: -32603, message: 'store offline' })
  })

  test('default: options are resolved with their defaults', async () => {
    const store = memoryStore()
    const context = await contextOf(withSessionKeys(scriptedProvider(), { store }))
    expect(context.store).toBe(store)
    expect(context.options).toEqual({ wallet: erc7715, requests: {}, keyType: undefined, expiryMode: 'auto', maxExpiry: 30 * 24 * 60 * 60, allow: undefined, autoRoute: undefined, requireWalletEnforcement: undefined, signing: {}, signRequests: undefined })
    expect(Math.abs(context.now() - Date.now() / 1000)).toBeLessThan(2)
    expect(Number.isInteger(context.now())).toBe(true)
  })

  test('behavior: given options win, and the injected clock is the context\'s clock', async () => {
    const allow = allowList([{ target: other }])
    const requireWalletEnforcement = walletEnforcement()
    const executor = openfortExecutor({ backend: { url: 'http://127.0.0.1:1' }, account: 'acc_1' })
    const context = await contextOf(
      withSessionKeys(scriptedProvider(), {
        wallet: openfort,
        executor,
        expiryMode: 'duration',
        maxExpiry: 3600,
        allow,
        requireWalletEnforcement,
        signing: sessionSigning({ hashes: true, messages: false }),
        now: () => 1_800_000_000,
      }),
    )
    expect(context.options).toEqual({ wallet: openfort, requests: {}, keyType: undefined, expiryMode: 'duration', maxExpiry: 3600, allow, autoRoute: undefined, requireWalletEnforcement, signing: { hashes: true }, signRequests: expect.objectContaining({ kinds: { hashes: true } }) })
    expect(context.executor).toBe(executor)
    expect(context.now()).toBe(1_800_000_000)
  })

  test('error: a wallet that is not a dialect (a dialect name, or one missing a function) is refused when wrapping, saying where dialects come from', () => {
    // @ts-expect-error a name, as the option once took
    expect(() => withSessionKeys(scriptedProvider(), { wallet: 'openfort' })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: wallet: must be a wallet dialect, got "openfort"; import your wallet's from keyleash/wallets (e.g. openfort), or write a WalletDialect]`,
    )
    // @ts-expect-error no encodeRevoke
    expect(() => withSessionKeys(scriptedProvider(), { wallet: { ...openfort, encodeRevoke: undefined } })).toThrow(/^wallet: must be a wallet dialect, got an object; /)
    // Its own grant without its own revoke: what the grant sets live could not be undone.
    expect(() => withSessionKeys(scriptedProvider(), { wallet: { ...openfort, grant: async () => ({}) } })).toThrow(/^wallet: must be a wallet dialect, got an object; /)
  })

  test('error: sessionSigning with a kind that is not a boolean is refused, naming it', () => {
    // @ts-expect-error a string
    expect(() => sessionSigning({ hashes: 'yes' })).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: signing.hashes: must be true or false, got "yes"]`)
  })

  test('error: a signing or autoRoute option not made by sessionSigning / autoRouting (the old { hashes: true } and true) is refused when wrapping, saying what to import', () => {
    // @ts-expect-error the option's old shape
    expect(rejection(() => withSessionKeys(scriptedProvider(), { signing: { hashes: true } }))).toMatchInlineSnapshot(`
      {
        "code": -32602,
        "message": "signing: must be made by sessionSigning({ hashes?, messages?, typedData? }), got an object",
      }
    `)
    // @ts-expect-error the option's old shape
    expect(rejection(() => withSessionKeys(scriptedProvider(), { autoRoute: true }))).toMatchInlineSnapshot(`
      {
        "code": -32602,
        "message": "autoRoute: must be made by autoRouting(), got true",
      }
    `)
  })

  test('error: a wallet without ERC-7836 (Openfort) and the default executor fail at setup, naming the executor to use', () => {
    expect(() => withSessionKeys(scriptedProvider(), { wallet: openfort })).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: executor: the openfort wallet has no wallet_prepareCalls, which the default executor (ERC-7836) needs; pass executor: openfortExecutor({ backend, account }) from keyleash/wallets]`)
  })

  test.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('error: maxExpiry %s is refused', (maxExpiry) => {
    expect(() => withSessionKeys(scriptedProvider(), { maxExpiry })).toThrow(/^maxExpiry: must be a positive whole number of seconds/)
  })

  test('behavior: serialize runs tasks one at a time, in order, and a failed task does not block the next', async () => {
    const context = await contextOf(withSessionKeys(scriptedProvider()))
    const log: string[] = []
    const task = (name: string, ms: number, failWith?: Error) => async () => {
      log.push(`start ${name}`)
      await new Promise((resolve) => setTimeout(resolve, ms))
      log.push(`end ${name}`)
      if (failWith) throw failWith
      return name
    }
    const results = await Promise.allSettled([
      context.serialize(task('a', 20)),
      context.serialize(task('b', 1, new Error('b failed'))),
      context.serialize(() => {
        throw new Error('sync')
      }),
      context.serialize(task('c', 1)),
    ])
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c'])
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual(['a', 'b failed', 'sync', 'c'])
  })
})

describe('events', () => {
  const events = [
    ['connect', { chainId: '0x1' }],
    ['disconnect', new JsonRpcError(4900, 'Disconnected')],
    ['chainChanged', '0x2'],
    ['accountsChanged', [address]],
    ['message', { type: 'eth_subscription', data: { subscription: '0x9', result: {} } }],
  ] as const

  test.each(events)('default: the wallet\'s %s reaches the wrapper\'s listeners with the same arguments', (event, payload) => {
    const inner = scriptedProvider()
    const provider = withSessionKeys(inner)
    const received: unknown[][] = []
    provider.on(event, (...args: unknown[]) => received.push(args))
    inner.emit(event, payload)
    expect(received).toHaveLength(1)
    expect(received[0]![0]).toBe(payload)
    expect(received[0]).toHaveLength(1)
  })

  test('behavior: forwarders are attached to the wallet once, however many listeners the app adds', () => {
    const inner = scriptedProvider()
    const provider = withSessionKeys(inner)
    for (let i = 0; i < 3; i++) provider.on('chainChanged', () => {})
    for (const [event] of events) expect(inner.listenerCount(event)).toBe(1)
  })

  test('behavior: removeListener really removes, and once fires once', () => {
    const inner = scriptedProvider()
    const provider = withSessionKeys(inner)
    const seen: string[] = []
    const listener = (chainId: string) => seen.push(`on ${chainId}`)
    provider.on('chainChanged', listener)
    provider.once('chainChanged', (chainId) => seen.push(`once ${chainId}`))
    inner.emit('chainChanged', '0x2')
    expect(provider.removeListener('chainChanged', listener)).toBe(provider)
    inner.emit('chainChanged', '0x3')
    expect(seen).toEqual(['on 0x2', 'once 0x2'])
  })

  test('behavior: the provider has an emitter\'s whole surface (eventemitter3\'s), every call chaining on the provider', () => {
    const inner = scriptedProvider()
    const provider = withSessionKeys(inner)
    const listener = (chainId: string) => chainId
    expect(provider.addListener('chainChanged', listener).on('sessionGranted', () => {})).toBe(provider)
    expect(provider.listeners('chainChanged')).toStrictEqual([listener])
    expect(provider.listenerCount('chainChanged')).toBe(1)
    expect(provider.eventNames()).toStrictEqual(['chainChanged', 'sessionGranted'])
    expect(provider.off('chainChanged', listener).listenerCount('chainChanged')).toBe(0)
    expect(provider.removeAllListeners().eventNames()).toStrictEqual([])
    // The wallet's forwarders stay attached: they belong to the wrapper, not to the app.
    for (const [event] of events) expect(inner.listenerCount(event)).toBe(1)
  })

  test('behavior: a wallet without `on` still works, with only keyleash\'s own events', async () => {
    const inner = scriptedProvider({ eth_chainId: '0x1' }, { events: false })
    const provider = withSessionKeys(inner)
    const seen: unknown[] = []
    provider.on('sessionGranted', (session) => seen.push(session))
    own('test_emit', async (_params, context) => context.emit('sessionGranted', 'payload'))
    expect(await provider.request({ method: 'eth_chainId' })).toBe('0x1')
    await provider.request({ method: 'test_emit' })
    expect(seen).toEqual(['payload'])
  })

  test('behavior: keyleash\'s own events reach the same listeners API', async () => {
    const provider = withSessionKeys(scriptedProvider())
    const seen: [string, unknown][] = []
    for (const event of ['sessionGranted', 'sessionRevoked', 'sessionExpired'] as const)
      provider.on(event, (payload: unknown) => seen.push([event, payload]))
    own('test_emit_all', async (_params, context) => {
      for (const event of ['sessionGranted', 'sessionRevoked', 'sessionExpired'] as const) context.emit(event, { event })
    })
    await provider.request({ method: 'test_emit_all' })
    expect(seen).toEqual([
      ['sessionGranted', { event: 'sessionGranted' }],
      ['sessionRevoked', { event: 'sessionRevoked' }],
      ['sessionExpired', { event: 'sessionExpired' }],
    ])
  })
})

describe('sessions', () => {
  const now = 1_800_000_000

  async function withStoredSessions() {
    const store = memoryStore()
    await store.put(sessionFixture({ id: '0x03', createdAt: now - 1, expiry: now + 60 }))
    await store.put(sessionFixture({ id: '0x01', createdAt: now - 3, expiry: now }))
    await store.put(sessionFixture({ id: '0x02', createdAt: now - 2, status: 'revoked', chainId: 10, account: other }))
    // A provider serving both accounts: the scope itself is tested in sessions/accountScope.test.ts.
    return withSessionKeys(scriptedProvider(), { store, now: () => now, account: [address, other] }).sessions
  }

  test('default: list returns every session, oldest first, with expired derived from the clock', async () => {
    const sessions = await withStoredSessions()
    expect((await sessions.list()).map((s) => [s.id, s.status])).toEqual([
      ['0x01', 'expired'],
      ['0x02', 'revoked'],
      ['0x03', 'active'],
    ])
  })

  test('behavior: list filters by account (any case), chainId and status', async () => {
    const sessions = await withStoredSessions()
    const ids = async (filter: Parameters<typeof sessions.list>[0]) => (await sessions.list(filter)).map((s) => s.id)
    expect(await ids({ account: other.toLowerCase() as Address })).toEqual(['0x02'])
    expect(await ids({ chainId: 1 })).toEqual(['0x01', '0x03'])
    expect(await ids({ status: 'active' })).toEqual(['0x03'])
    expect(await ids({ status: 'expired', chainId: 1, account: address })).toEqual(['0x01'])
  })

  test('behavior: get derives the status too, and is undefined for an unknown id', async () => {
    const sessions = await withStoredSessions()
    expect((await sessions.get('0x01'))?.status).toBe('expired')
    expect(await sessions.get('0xnone')).toBeUndefined()
  })

  test('default: importKey stores the key and resolves to its address, never to the key', async () => {
    const store = memoryStore()
    const provider = withSessionKeys(scriptedProvider(), { store })
    const privateKey = generatePrivateKey()
    const keyAddress = await provider.sessions.importKey(privateKey)
    expect(await store.keys.has(keyAddress)).toBe(true)
    expect(inspect(provider, { depth: Infinity, showHidden: true })).not.toContain(privateKey.slice(2))
  })
})

describe('through viem', () => {
  const client = (inner: Parameters<typeof withSessionKeys>[0], transport: Parameters<typeof custom>[1] = {}) =>
    createWalletClient({ transport: custom(withSessionKeys(inner), transport) })

  test('default: getChainId, getAddresses and request work', async () => {
    const inner = scriptedProvider({ eth_chainId: '0x1', eth_accounts: [address], wallet_getCapabilities: { '0x1': {} } })
    const wallet = client(inner)
    expect(await wallet.getChainId()).toBe(1)
    expect(await wallet.getAddresses()).toEqual([address])
    expect(await wallet.request({ method: 'wallet_getCapabilities', params: [address] })).toEqual({ '0x1': {} })
  })

  test('error: the wallet\'s 4001 surfaces as viem\'s UserRejectedRequestError', async () => {
    const inner = scriptedProvider({ eth_requestAccounts: fail({ code: 4001, message: 'User rejected the request.' }) })
    await expect(client(inner).requestAddresses()).rejects.toMatchObject({ name: 'UserRejectedRequestError', code: 4001 })
  })

  test('error: a code-less wallet error surfaces as InternalRpcError, not "Unknown RPC error"', async () => {
    const inner = scriptedProvider({ eth_chainId: new Error('iframe not ready') })
    const error = await rejectionOf<Error>(client(inner, { retryCount: 0 }).getChainId())
    expect(error).toMatchObject({ name: 'InternalRpcError', code: -32603, details: 'iframe not ready' })
    expect(error.message).not.toContain('Unknown RPC error')
    expect(inner.requests).toHaveLength(1)
    // Without keyleash the same wallet error is viem's UnknownRpcError.
    const raw = await rejectionOf<Error>(createWalletClient({ transport: custom(inner, { retryCount: 0 }) }).getChainId())
    expect(raw.name).toBe('UnknownRpcError')
  })

  test('behavior: viem\'s own policy retries -32603 on reads (1 + retryCount calls); writes are not retried', async () => {
    // Pinned so that a change of viem's policy, or of the code keyleash uses, is a visible diff.
    const inner = scriptedProvider({ eth_chainId: new Error('flaky'), eth_sendTransaction: new Error('flaky') })
    const wallet = client(inner, { retryDelay: 0 })
    await expect(wallet.getChainId()).rejects.toMatchObject({ name: 'InternalRpcError' })
    expect(inner.paramsOf('eth_chainId')).toHaveLength(4)
    await expect(
      wallet.sendTransaction({ account: address, chain: null, to: other, value: 1n }),
    ).rejects.toMatchObject({ name: 'TransactionExecutionError' })
    expect(inner.paramsOf('eth_sendTransaction')).toHaveLength(1)
  })
})
