import { createWalletClient, custom, keccak256, maxUint256, stringToHex, verifyMessage, verifyTypedData, type Address, type Hex } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import type { KeyleashOptions } from '../../src/options.js'
import { withSessionKeys } from '../../src/provider.js'
import { memoryStore } from '../../src/sessions/memoryStore.js'
import { account, nft, now, scriptedWallet } from '../utils/scriptedWallet.js'
import { rejectionOf } from '../utils/rejection.js'
import { sessionSigning } from '../../src/permissions/sessionSigning.js'

async function setup(options: KeyleashOptions = {}) {
  let clock = now
  const inner = scriptedWallet('erc7715', { personal_sign: '0xfromwallet', eth_signTypedData_v4: '0xfromwallet' })
  const provider = withSessionKeys(inner, { now: () => clock, ...options })
  const key = await provider.sessions.importKey(generatePrivateKey())
  const { permissionsContext } = (await provider.request({
    method: 'wallet_grantPermissions',
    params: [{ expiry: 3600, signer: { type: 'account', data: { id: key } }, permissions: [{ type: 'contract-call', data: { address: nft } }] }],
  })) as { permissionsContext: string }
  const client = createWalletClient({ transport: custom(provider) })
  return { inner, provider, key, context: permissionsContext, client, advance: (seconds: number) => (clock += seconds) }
}

const everything = { signing: sessionSigning({ hashes: true, messages: true, typedData: true }) } as const

const typed = {
  domain: { name: 'Backend', version: '1', chainId: 31337 },
  types: { Login: [{ name: 'id', type: 'uint256' }] },
  primaryType: 'Login',
  message: { id: 7n },
} as const

const signableHash = keccak256(stringToHex('transaction intent'))

/** An unlimited EIP-2612 permit of the account's tokens to `spender`. */
function permit(spender: Address) {
  return {
    domain: { name: 'Token', version: '1', chainId: 31337, verifyingContract: '0x9999999999999999999999999999999999999999' as Address },
    types: { Permit: ['owner:address', 'spender:address', 'value:uint256', 'nonce:uint256', 'deadline:uint256'].map((field) => ({ name: field.split(':')[0] as string, type: field.split(':')[1] as string })) },
    primaryType: 'Permit',
    message: { owner: account, spender, value: maxUint256, nonce: 0n, deadline: maxUint256 },
  } as const
}

describe('personal_sign', () => {
  test('error: without a signing option a session key signs no hash (the seed\'s signableHash): refused unread, the hint says what to import, and the wallet is not asked', async () => {
    const { inner, client, provider, key } = await setup()
    const error = await client.signMessage({ account: key, message: { raw: signableHash } }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 4100 })
    expect((error as { details: string }).details.replace(key, '<key>')).toMatchInlineSnapshot(
      `"<key> is a session key: keyleash signs with it only calls it has checked against the grant (wallet_sendCalls with the session's context), and this provider signs nothing else with session keys, so it did not read this request; it could authorise anything the account accepts from the key"`,
    )
    expect(await rejectionOf(provider.request({ method: 'personal_sign', params: [signableHash, key] }))).toMatchObject({
      data: { hint: expect.stringContaining('signing: sessionSigning({ hashes: true })') },
    })
    expect(inner.paramsOf('personal_sign')).toHaveLength(0)
  })
  test('error: opted into text only, a session key signs no hash, and the refusal names the kind', async () => {
    const { client, key } = await setup({ signing: sessionSigning({ messages: true }) })
    const error = await client.signMessage({ account: key, message: { raw: signableHash } }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 4100 })
    expect((error as { details: string }).details.replace(key, '<key>')).toMatchInlineSnapshot(
      `"<key> is a session key: keyleash signs with it only calls it has checked against the grant (wallet_sendCalls with the session's context), and raw bytes or a hash is not checked; it could authorise anything the account accepts from the key"`,
    )
  })
  test('error: without the opt-in a session key signs no text message either', async () => {
    const { client, key } = await setup({ signing: sessionSigning({ hashes: true }) })
    await expect(client.signMessage({ account: key, message: 'Sign in to example.com' })).rejects.toMatchObject({ code: 4100 })
  })
  test('behavior: with signing.hashes, a live session key signs a backend\'s signableHash locally, as raw bytes, without the wallet', async () => {
    const { inner, client, key } = await setup({ signing: sessionSigning({ hashes: true }) })
    const signature = await client.signMessage({ account: key, message: { raw: signableHash } })
    expect(await verifyMessage({ address: key, message: { raw: signableHash }, signature })).toBe(true)
    expect(inner.paramsOf('personal_sign')).toHaveLength(0)
  })
  test('behavior: with signing.messages, text is signed, but a hash written as text is still a hash', async () => {
    const { client, key } = await setup({ signing: sessionSigning({ messages: true }) })
    const signature = await client.signMessage({ account: key, message: 'Sign in to example.com' })
    expect(await verifyMessage({ address: key, message: 'Sign in to example.com', signature })).toBe(true)
    await expect(client.signMessage({ account: key, message: `approve ${signableHash}` })).rejects.toMatchObject({ code: 4100 })
  })
  test('error: a text of digest length (32 bytes as UTF-8, sent as text) is a hash: signed only under signing.hashes', async () => {
    const text = 'Sign in, nonce 8f3a2c91 — ok!!'
    expect(new TextEncoder().encode(text)).toHaveLength(32)
    const messagesOnly = await setup({ signing: sessionSigning({ messages: true }) })
    expect(await rejectionOf(messagesOnly.provider.request({ method: 'personal_sign', params: [text, messagesOnly.key] }))).toMatchObject({
      code: 4100,
      data: { hint: expect.stringContaining('signing: sessionSigning({ hashes: true })') },
    })
    const both = await setup({ signing: sessionSigning({ messages: true, hashes: true }) })
    const signature = (await both.provider.request({ method: 'personal_sign', params: [text, both.key] })) as Hex
    // Its signature is the one the 32-byte digest of the same bytes gets.
    expect(await verifyMessage({ address: both.key, message: { raw: stringToHex(text) }, signature })).toBe(true)
    expect(await both.provider.request({ method: 'personal_sign', params: ['Sign in to example.com', both.key] })).toMatch(/^0x/)
  })
  test('behavior: the opt-in is recorded on the session, and a session granted without it does not sign under a provider made with it', async () => {
    const store = memoryStore()
    const before = await setup({ store })
    expect((await before.provider.sessions.get(before.context))?.signing).toBeUndefined()
    const after = withSessionKeys(scriptedWallet('erc7715'), { store, now: () => now, signing: sessionSigning({ hashes: true }) })
    await expect(after.request({ method: 'personal_sign', params: [signableHash, before.key] })).rejects.toMatchObject({ code: 4100 })
    const opted = await setup({ signing: sessionSigning({ hashes: true, messages: false }) })
    expect((await opted.provider.sessions.get(opted.context))?.signing).toEqual({ hashes: true })
  })
  test('behavior: any other address goes to the wallet untouched', async () => {
    const { inner, client } = await setup()
    expect(await client.signMessage({ account, message: 'hello' })).toBe('0xfromwallet')
    expect(inner.paramsOf('personal_sign')).toHaveLength(1)
  })
  test('error: an expired session\'s key never signs', async () => {
    const { client, key, advance } = await setup(everything)
    advance(3600)
    await expect(client.signMessage({ account: key, message: 'late' })).rejects.toMatchObject({ code: 4100, details: expect.stringContaining('it signs no more') })
  })
  test('error: without a signing option, the key of an expired or revoked session is refused (4100) unread as well, never passed to the wallet', async () => {
    const { provider, client, key, context, inner, advance } = await setup()
    await provider.sessions.revoke(context)
    await expect(client.signMessage({ account: key, message: 'after' })).rejects.toMatchObject({ code: 4100, details: expect.stringContaining('did not read this request') })
    advance(3600)
    await expect(provider.request({ method: 'eth_signTypedData_v4', params: [key, typed] })).rejects.toMatchObject({ code: 4100 })
    expect(inner.paramsOf('personal_sign')).toHaveLength(0)
    expect(inner.paramsOf('eth_signTypedData_v4')).toHaveLength(0)
  })
  test('error: a revoked session\'s key never signs', async () => {
    const { provider, client, key, context, inner } = await setup(everything)
    await provider.sessions.revoke(context)
    await expect(client.signMessage({ account: key, message: 'after' })).rejects.toMatchObject({ code: 4100 })
    expect(inner.paramsOf('personal_sign')).toHaveLength(0)
  })
  test('behavior: the key of another account\'s session (one store, two users), live or revoked, is answered as an address keyleash does not know: the wallet\'s, nothing of the other user shown', async () => {
    const store = memoryStore()
    const alice = await setup({ store, ...everything })
    const innerB = scriptedWallet('erc7715', { eth_accounts: ['0x70997970C51812dc3A010C7d01b50e0d17dc79C8'], personal_sign: '0xfromwallet', eth_signTypedData_v4: '0xfromwallet' })
    const other = withSessionKeys(innerB, { store, now: () => now, ...everything })
    const stranger = '0x2222222222222222222222222222222222222222'
    const answers = async (address: string) => [
      await other.request({ method: 'personal_sign', params: [signableHash, address] }).catch((e: unknown) => e),
      await other.request({ method: 'eth_signTypedData_v4', params: [address, JSON.stringify({ ...typed, message: { id: '7' } })] }).catch((e: unknown) => e),
    ]
    const unknown = await answers(stranger)
    expect(unknown).toStrictEqual(['0xfromwallet', '0xfromwallet'])
    expect(await answers(alice.key)).toStrictEqual(unknown)
    await alice.provider.sessions.revoke(alice.context)
    expect(await answers(alice.key)).toStrictEqual(unknown)
    expect(innerB.paramsOf('personal_sign').map((params) => (params as unknown[])[1])).toStrictEqual([stranger, alice.key, alice.key])
  })
  test('error: a key the app brought to two accounts\' grants does not sign for either while both are live, and the refusal names neither session', async () => {
    const store = memoryStore()
    const alice = await setup({ store, ...everything })
    const innerB = scriptedWallet('erc7715', {
      eth_accounts: ['0x70997970C51812dc3A010C7d01b50e0d17dc79C8'],
      wallet_grantPermissions: ([request]: { expiry: number; permissions: unknown }[]) => ({ expiry: request?.expiry, grantedPermissions: request?.permissions, permissionsContext: '0x0b0b' }),
    })
    const bob = withSessionKeys(innerB, { store, now: () => now, ...everything })
    const { permissionsContext } = (await bob.request({
      method: 'wallet_grantPermissions',
      params: [{ expiry: 3600, signer: { type: 'account', data: { id: alice.key } }, permissions: [{ type: 'contract-call', data: { address: nft } }] }],
    })) as { permissionsContext: string }
    const error = await rejectionOf(bob.request({ method: 'personal_sign', params: [signableHash, alice.key] }))
    expect(error).toMatchObject({ code: 4100, data: { field: 'address' } })
    expect(JSON.stringify(error)).not.toContain(alice.context)
    await alice.provider.sessions.revoke(alice.context)
    expect(await bob.request({ method: 'personal_sign', params: [signableHash, alice.key] })).toMatch(/^0x[0-9a-f]{130}$/)
    expect(permissionsContext).not.toBe(alice.context)
  })
})

describe('eth_signTypedData_v4', () => {
  test('error: without signing.typedData a session key signs no typed data', async () => {
    const { client, key } = await setup({ signing: sessionSigning({ hashes: true, messages: true }) })
    await expect(client.signTypedData({ account: key as Address, ...typed })).rejects.toMatchObject({ code: 4100 })
  })
  test('behavior: with signing.typedData, typed data that authorises nothing keyleash knows of is signed locally', async () => {
    const { inner, client, key } = await setup({ signing: sessionSigning({ typedData: true }) })
    const signature = await client.signTypedData({ account: key as Address, ...typed })
    expect(await verifyTypedData({ address: key, ...typed, signature })).toBe(true)
    expect(inner.paramsOf('eth_signTypedData_v4')).toHaveLength(0)
  })
  test('error: an unlimited EIP-2612 Permit of the account\'s tokens is never signed, whatever was opted into', async () => {
    const { inner, client, key } = await setup(everything)
    const error = await client.signTypedData({ account: key as Address, ...permit('0x000000000000000000000000000000000000dEaD') }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 4100 })
    expect((error as { details: string }).details.replace(key, '<key>')).toMatchInlineSnapshot(
      `"<key> is a session key, and this typed data would authorise calls or spending by the account: its struct "Permit" is of a kind that authorises calls or token movements. A session key signs those only for calls keyleash has checked"`,
    )
    expect(inner.paramsOf('eth_signTypedData_v4')).toHaveLength(0)
  })
  test('error: typed data addressed to the account or to a contract the session may call is never signed', async () => {
    const { client, key } = await setup(everything)
    for (const verifyingContract of [account, nft, nft.toLowerCase() as Address])
      await expect(client.signTypedData({ account: key as Address, ...typed, domain: { ...typed.domain, verifyingContract } })).rejects.toMatchObject({ code: 4100 })
    const naming = { ...typed, types: { Login: [{ name: 'who', type: 'address' }] }, message: { who: account } } as const
    await expect(client.signTypedData({ account: key as Address, ...naming })).rejects.toMatchObject({ code: 4100 })
  })
  test('error: typed data naming the session key itself (EIP-3009, Polygon meta-transactions, ERC-2771, Hyperliquid, LooksRare) is never signed', async () => {
    const { inner, client, key } = await setup(everything)
    const usdc = { name: 'USD Coin', version: '2', chainId: 31337, verifyingContract: '0x3333333333333333333333333333333333333333' as Address }
    const fields = (...list: string[]) => list.map((field) => ({ name: field.split(':')[0] as string, type: field.split(':')[1] as string }))
    const authorization = fields('from:address', 'to:address', 'value:uint256', 'validAfter:uint256', 'validBefore:uint256', 'nonce:bytes32')
    const nonce = keccak256('0x01')
    const keyBound = [
      { domain: usdc, types: { ReceiveWithAuthorization: authorization }, primaryType: 'ReceiveWithAuthorization', message: { from: key, to: '0x000000000000000000000000000000000000dEaD', value: 10n ** 6n, validAfter: 0n, validBefore: maxUint256, nonce } },
      { domain: usdc, types: { CancelAuthorization: fields('authorizer:address', 'nonce:bytes32') }, primaryType: 'CancelAuthorization', message: { authorizer: key, nonce } },
      { domain: usdc, types: { MetaTransaction: fields('nonce:uint256', 'from:address', 'functionSignature:bytes') }, primaryType: 'MetaTransaction', message: { nonce: 0n, from: key, functionSignature: '0xa9059cbb' } },
      { domain: usdc, types: { ForwardRequest: fields('from:address', 'to:address', 'value:uint256', 'gas:uint256', 'nonce:uint256', 'data:bytes') }, primaryType: 'ForwardRequest', message: { from: key, to: usdc.verifyingContract, value: 0n, gas: 100000n, nonce: 0n, data: '0x' } },
      { domain: { name: 'HyperliquidSignTransaction', version: '1', chainId: 42161 }, types: { 'HyperliquidTransaction:UsdSend': fields('hyperliquidChain:string', 'destination:string', 'amount:string', 'time:uint64') }, primaryType: 'HyperliquidTransaction:UsdSend', message: { hyperliquidChain: 'Mainnet', destination: key.toLowerCase(), amount: '1000', time: 1n } },
      { domain: { name: 'LooksRareProtocol', version: '2', chainId: 31337 }, types: { Maker: fields('signer:address', 'collection:address', 'price:uint256') }, primaryType: 'Maker', message: { signer: key, collection: '0x4444444444444444444444444444444444444444', price: 1n } },
    ] as const
    for (const request of keyBound) {
      const error = await client.signTypedData({ account: key as Address, ...request } as Parameters<typeof client.signTypedData>[0]).catch((e: unknown) => e)
      expect(error, request.primaryType).toMatchObject({ code: 4100 })
      expect((error as { details: string }).details, request.primaryType).toContain('which is the session key itself')
    }
    expect(inner.paramsOf('eth_signTypedData_v4')).toHaveLength(0)
  })
  test('behavior: any other address goes to the wallet', async () => {
    const { client } = await setup()
    expect(await client.signTypedData({ account, ...typed })).toBe('0xfromwallet')
  })
})

describe('sessions shared through one store', () => {
  test('behavior: a key granted by another instance signs here too, from the next second on', async () => {
    let clock = now
    const store = memoryStore()
    const a = withSessionKeys(scriptedWallet('erc7715'), { now: () => clock, store, signing: sessionSigning({ hashes: true }) })
    const innerB = scriptedWallet('erc7715', { personal_sign: '0xfromwallet' })
    const b = withSessionKeys(innerB, { now: () => clock, store, signing: sessionSigning({ hashes: true }) })
    // B looks a key up before the grant, so its index is built without it.
    expect(await b.request({ method: 'personal_sign', params: ['0x1234', account] })).toBe('0xfromwallet')
    const key = await a.sessions.importKey(generatePrivateKey())
    await a.request({
      method: 'wallet_grantPermissions',
      params: [{ expiry: 3600, signer: { type: 'account', data: { id: key } }, permissions: [{ type: 'contract-call', data: { address: nft } }] }],
    })
    // B reads the store again at most once a second after a miss.
    clock += 1
    const signature = (await b.request({ method: 'personal_sign', params: ['0x1234', key] })) as Hex
    expect(await verifyMessage({ address: key, message: { raw: '0x1234' }, signature })).toBe(true)
    expect(innerB.paramsOf('personal_sign')).toHaveLength(1)
  })
})

describe('size limits, before anything reads the request', () => {
  const limit = "on what a session key signs; keyleash refused it unread"
  /** Typed data whose `Login` holds `field` of `type`, set to `value`; `Node` is a struct that nests itself. */
  const typedWith = (type: string, value: unknown) => ({
    domain: typed.domain,
    types: { Login: [{ name: 'id', type }], Node: [{ name: 'next', type: 'Node[]' }] },
    primaryType: 'Login',
    message: { id: value },
  })
  /** A Node nested `depth` levels deep, built without recursion. */
  const nodes = (depth: number) => {
    let node: unknown = { next: [] }
    for (let i = 0; i < depth; i++) node = { next: [node] }
    return node
  }

  test.each([
    ['a 4 MB string, as JSON', JSON.stringify(typedWith('string', 'x'.repeat(4 * 2 ** 20))), 'params[1]: is over the limit of 32768 characters of JSON'],
    ['a 4 MB string, as an object', typedWith('string', 'x'.repeat(4 * 2 ** 20)), 'params[1]: is over the limit of 32768 characters in all'],
    ['10,000 strings of 1 kB, as an object', typedWith('string[]', Array.from({ length: 10_000 }, () => 'y'.repeat(1024))), 'params[1]: is over the limit of 512 values'],
    ['40 strings of 1 kB, as an object', typedWith('string[]', Array.from({ length: 40 }, () => 'y'.repeat(1024))), 'params[1]: is over the limit of 32768 characters in all'],
    ['a million-element array, as an object', typedWith('uint256[]', new Array(1_000_000).fill(0)), 'params[1]: is over the limit of 512 values'],
    ['a million-element array of arrays, as an object', typedWith('uint256[][]', new Array(1_000_000).fill([])), 'params[1]: is over the limit of 512 values'],
    ['10,000 levels of nesting, as an object', typedWith('Node', nodes(10_000)), 'params[1]: is over the limit of 32 levels of nesting'],
    ['5,000 levels of nesting, as JSON', JSON.stringify(typedWith('uint256', '@')).replace('"@"', '['.repeat(5_000) + ']'.repeat(5_000)).replace('"uint256"', `"uint256${'[]'.repeat(5_000)}"`), 'params[1]: is over the limit of 32 levels of nesting'],
  ])('error: eth_signTypedData_v4 with %s is refused with -32602 naming the field and the limit, before the classifier reads it, whatever kinds are opted into', async (_, payload, message) => {
    for (const options of [everything, { signing: sessionSigning({}) }]) {
      const { provider, key, inner } = await setup(options)
      expect(await rejectionOf(provider.request({ method: 'eth_signTypedData_v4', params: [key, payload] }))).toMatchObject({ code: -32602, message: `${message} ${limit}`, data: { field: 'params[1]' } })
      expect(inner.paramsOf('eth_signTypedData_v4')).toHaveLength(0)
    }
  })

  test('error: without a signing option, typed data from a session key is refused with 4100 unread (not one element read), and the wallet is not asked', async () => {
    const { provider, key, inner } = await setup()
    let reads = 0
    const huge = new Proxy(new Array(1_000_000), {
      get: (target, property, receiver) => {
        if (typeof property === 'string' && /^\d+$/.test(property)) reads++
        return Reflect.get(target, property, receiver)
      },
    })
    expect(await rejectionOf(provider.request({ method: 'eth_signTypedData_v4', params: [key, typedWith('uint256[]', huge)] }))).toMatchObject({
      code: 4100,
      data: { field: 'address', hint: expect.stringContaining('signing: sessionSigning({ hashes: true })') },
    })
    expect(reads).toBe(0)
    expect(inner.paramsOf('eth_signTypedData_v4')).toHaveLength(0)
  })

  test('behavior: a million-element array is refused by its length: not one element is read', async () => {
    const { provider, key } = await setup(everything)
    let reads = 0
    const huge = new Proxy(new Array(1_000_000), {
      get: (target, property, receiver) => {
        if (typeof property === 'string' && /^\d+$/.test(property)) reads++
        return Reflect.get(target, property, receiver)
      },
    })
    expect(await rejectionOf(provider.request({ method: 'eth_signTypedData_v4', params: [key, typedWith('uint256[]', huge)] }))).toMatchObject({ code: -32602 })
    expect(reads).toBe(0)
  })

  test('behavior: keys EIP-712 does not sign (100,000 in the message, 100,000 types) are never enumerated; the signature covers what the types declare', async () => {
    const { provider, key } = await setup(everything)
    let enumerations = 0
    const counted = <T extends object>(target: T) =>
      new Proxy(target, {
        ownKeys: (inner) => {
          enumerations++
          return Reflect.ownKeys(inner)
        },
      })
    const extra = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i]))
    const request = { ...typed, types: counted({ ...extra, Login: typed.types.Login }), message: counted({ ...extra, id: 7n }) }
    const signature = (await provider.request({ method: 'eth_signTypedData_v4', params: [key, request] })) as Hex
    expect(await verifyTypedData({ address: key, ...typed, signature })).toBe(true)
    expect(enumerations).toBe(0)
  })

  test('behavior: typed data just within the limits is still classified and signed', async () => {
    const { provider, key } = await setup(everything)
    const message = { id: '7' }
    const within = { ...typed, types: { Login: [{ name: 'id', type: 'uint256' }], Padding: Array.from({ length: 100 }, (_, i) => ({ name: `f${i}`, type: 'string' })) }, message }
    expect(await provider.request({ method: 'eth_signTypedData_v4', params: [key, JSON.stringify(within)] })).toMatch(/^0x[0-9a-f]{130}$/)
    expect(await provider.request({ method: 'personal_sign', params: [stringToHex('z'.repeat(16_000)), key] })).toMatch(/^0x[0-9a-f]{130}$/)
  })
})

describe('personal_sign racing a revoke', () => {
  test('error: a revoke that finishes while the key is being opened is not followed by a signature: 4100', async () => {
    const store = memoryStore()
    let revoke: (() => Promise<void>) | undefined
    // The key opens only after the revoke has finished, as a slow store's read and decryption can.
    const signer = async (address: Address) => {
      const opened = await store.keys.signer(address)
      await revoke?.()
      return opened
    }
    const racing = { ...store, keys: { ...store.keys, signer } }
    const { provider, key, context, inner } = await setup({ ...everything, store: racing })
    revoke = async () => {
      revoke = undefined
      await provider.sessions.revoke(context, { wallet: false })
    }
    const error = await rejectionOf(provider.request({ method: 'personal_sign', params: [stringToHex('hello'), key] }))
    expect({ code: error.code, message: error.message }).toStrictEqual({ code: 4100, message: `${key} is the key of a session that has expired or was revoked; it signs no more` })
    expect(inner.paramsOf('personal_sign')).toHaveLength(0)
  })
})
