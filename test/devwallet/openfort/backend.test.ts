import { type Hex, createPublicClient, encodeFunctionData, http } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { anvil } from 'viem/chains'
import { beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { demoNftAbi, openfortDelegatedAccountAbi, openfortSmartAccountAbi } from '../../../src/devwallet/artifacts.js'
import { openfortMasterLimit } from '../../../src/devwallet/openfort/accounts.js'
import { delegated, delegatedKey, delegatedKeyId } from '../../../src/wallets/openfortDelegated/abi.js'
import { catchUpWithSystemClock, useSharedChain } from '../../utils/chain.js'
import { type DevOpenfort, createDevOpenfort } from '../../../src/devwallet/openfort/sdk.js'
import { rejectionOf } from '../../utils/rejection.js'

/*
 * The development backend, driven by Openfort's own SDK (its EvmProvider) where the SDK calls it,
 * and over HTTP where a server would.
 */

const { rpcUrl, testClient } = useSharedChain()
const publicClient = createPublicClient({ chain: anvil, transport: http(rpcUrl), pollingInterval: 10 })
let user: DevOpenfort
let delegatedUser: DevOpenfort

beforeEach(() => catchUpWithSystemClock(testClient))

beforeAll(async () => {
  user = await createDevOpenfort({ rpcUrl })
  delegatedUser = await createDevOpenfort({ rpcUrl, backend: user.backend, accountType: 'Delegated Account' })
  return () => user.close()
}, 60_000)

const post = async (path: string, body: unknown, authorization = `Bearer ${user.backend.secretKey}`) => {
  const response = await fetch(`${user.backend.url}${path}`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: response.status, body: (await response.json()) as { id: string; nextAction?: { payload: { signableHash: Hex } }; error?: { message: string }; response?: { status: number } } }
}
const grant = (key: string, permissions: unknown[], expiry = 3600, who = user) =>
  who.provider.request({ method: 'wallet_grantPermissions', params: [{ expiry, signer: { type: 'account', data: { id: key } }, permissions }] })
const onChain = async (key: `0x${string}`) => {
  const [validAfter, validUntil, limit, master, whitelisting] = await publicClient.readContract({ address: user.account, abi: openfortSmartAccountAbi, functionName: 'sessionKeys', args: [key] })
  return { validAfter, validUntil, limit, master, whitelisting }
}
const keyOf = (key: `0x${string}`) => publicClient.readContract({ address: delegatedUser.account, abi: openfortDelegatedAccountAbi, functionName: 'getKey', args: [delegatedKeyId(key)] })
const nftCall = (limit?: number) => ({ type: 'contract-call', data: { address: user.contracts.nft, calls: [] }, ...(limit === undefined ? {} : { policies: [{ type: { custom: 'call-limit' }, data: { limit } }] }) })
const mintData = () => encodeFunctionData({ abi: demoNftAbi, functionName: 'mint', args: [user.account] })

describe('sessions, as the SDK registers them', () => {
  test('default: a Smart Account registers the window from the SDK\'s clock, the whitelisted targets, the limit; the owner signed once', async () => {
    const key = privateKeyToAccount(generatePrivateKey()).address
    const prompts = user.prompts
    const before = Math.floor(Date.now() / 1000)
    await grant(key, [{ type: 'contract-call', data: { address: user.contracts.nft, calls: ['mint(address)'] }, policies: [{ type: { custom: 'call-limit' }, data: { limit: 2 } }] }])
    const [session] = user.backend.sessions().filter((s) => s.address === key)
    expect(session).toMatchObject({ isActive: true, limit: 2, whitelist: [user.contracts.nft] })
    expect(session!.validUntil - session!.validAfter).toBe(3600)
    expect(session!.validAfter - before).toBeLessThanOrEqual(1)
    expect(await onChain(key)).toStrictEqual({ validAfter: session!.validAfter, validUntil: session!.validUntil, limit: 2, master: false, whitelisting: true })
    expect(await publicClient.readContract({ address: user.account, abi: openfortSmartAccountAbi, functionName: 'isWhitelisted', args: [key, user.contracts.nft] })).toBe(true)
    expect(user.prompts - prompts).toBe(1)
  })

  test('behavior: on a Smart Account, no limit asked is every call a uint48 holds; with no target either, a master key', async () => {
    const key = privateKeyToAccount(generatePrivateKey()).address
    const answer = await grant(key, [nftCall()])
    expect(answer).toMatchObject({ grantedPermissions: [{ policies: [{ type: { custom: 'usage-limit' }, data: { limit: undefined } }] }] })
    expect(await onChain(key)).toMatchObject({ limit: openfortMasterLimit, master: false, whitelisting: true })
    const master = privateKeyToAccount(generatePrivateKey()).address
    expect(await grant(master, [])).toMatchObject({ grantedPermissions: [] })
    expect(await onChain(master)).toMatchObject({ limit: openfortMasterLimit, master: true, whitelisting: false })
  })

  test('behavior: at most 10 targets: an 11th is refused by the account (Whitelist too big), after the owner signed', async () => {
    const targets = Array.from({ length: 11 }, () => ({ type: 'contract-call', data: { address: privateKeyToAccount(generatePrivateKey()).address, calls: [] } }))
    const error = await rejectionOf(grant(privateKeyToAccount(generatePrivateKey()).address, targets))
    expect(error.code).toBe(-32003)
    expect(error.message).toMatch(/: WhitelistTooBig\(11, 10\)$/)
    expect(await grant(privateKeyToAccount(generatePrivateKey()).address, targets.slice(1))).toMatchObject({ permissionsContext: expect.stringMatching(/^ses_/) })
  })

  test('behavior: a Delegated Account registers an EOA key with the limit and window, then any function of each whitelisted target (the API names no functions), no spend rule', async () => {
    const key = privateKeyToAccount(generatePrivateKey()).address
    await grant(key, [nftCall(3)], 3600, delegatedUser)
    expect(await keyOf(key)).toMatchObject({ keyType: 0, isActive: true, masterKey: false, limits: 3, key: delegatedKey(key) })
    const read = <name extends 'hasCanCall' | 'canExecuteLength' | 'spendTokens'>(functionName: name, args: readonly unknown[]) =>
      publicClient.readContract({ address: delegatedUser.account, abi: openfortDelegatedAccountAbi, functionName, args } as never)
    expect(await read('hasCanCall', [delegatedKeyId(key), user.contracts.nft, delegated.anyFunction])).toBe(true)
    expect([await read('canExecuteLength', [delegatedKeyId(key)]), await read('spendTokens', [delegatedKeyId(key)])]).toStrictEqual([1n, []])
  })

  test('error: on a Delegated Account, no limit asked is limit 0, which the account refuses (LimitsRequired) once the owner has signed: no key is registered', async () => {
    const key = privateKeyToAccount(generatePrivateKey()).address
    const error = await rejectionOf(grant(key, [nftCall()], 3600, delegatedUser))
    expect(error.code).toBe(-32003)
    expect(error.message).toContain('LimitsRequired')
    expect(await keyOf(key)).toMatchObject({ isActive: false })
  })

  test('error: what the account cannot hold is refused before the owner signs (the SDK answers -32003 with the message)', async () => {
    const prompts = user.prompts
    const error = await rejectionOf(grant(privateKeyToAccount(generatePrivateKey()).address, [{ type: 'contract-call', data: { address: user.account, calls: [] } }]))
    expect(error).toMatchObject({ code: -32003 })
    expect(error.message.replace(/0x[0-9a-fA-F]{40}/g, '0x…')).toMatchInlineSnapshot(`"whitelist[0]: 0x… is the account itself; a session key may never call its own account"`)
    expect(user.prompts).toBe(prompts)
  })

  test('error: revoking a key with no live session is a 404, which the SDK answers -32003', async () => {
    const error = await rejectionOf(user.provider.request({ method: 'wallet_revokePermissions', params: [{ permissionContext: privateKeyToAccount(generatePrivateKey()).address }] }))
    expect(error.code).toBe(-32003)
    expect(error.message).toMatch(/^no active session for 0x[0-9a-fA-F]{40} on account acc_[0-9a-f]{24}$/)
  })
})

describe('transaction intents', () => {
  test('default: the owner\'s own wallet_sendCalls through the SDK: an intent it signs, executed, its status CONFIRMED', async () => {
    const id = (await user.provider.request({ method: 'wallet_sendCalls', params: [{ calls: [{ to: user.contracts.nft, data: mintData() }] }] })) as string
    expect(id).toMatch(/^tin_/)
    expect(await user.provider.request({ method: 'wallet_getCallsStatus', params: [id] })).toMatchObject({ status: 'CONFIRMED', receipts: [{ status: 'success' }] })
  })

  test('behavior: several accounts of one backend send at once, and every intent is executed', async () => {
    const other = await createDevOpenfort({ rpcUrl, backend: user.backend })
    const send = (who: DevOpenfort) => who.provider.request({ method: 'wallet_sendCalls', params: [{ calls: [{ to: who.contracts.nft, data: encodeFunctionData({ abi: demoNftAbi, functionName: 'mint', args: [who.account] }) }] }] })
    const ids = (await Promise.all([user, other, user, other, user, other].map(send))) as string[]
    const statuses = await Promise.all(ids.map((id, i) => (i % 2 === 0 ? user : other).provider.request({ method: 'wallet_getCallsStatus', params: [id] })))
    expect(statuses.map((s) => (s as { status: string }).status)).toStrictEqual(Array(6).fill('CONFIRMED'))
  })

  test('behavior: signed by a session key, within its call limit; the chain refuses the next (400, the revert named)', async () => {
    const key = privateKeyToAccount(generatePrivateKey())
    await grant(key.address, [{ type: 'contract-call', data: { address: user.contracts.nft, calls: [] }, policies: [{ type: { custom: 'call-limit' }, data: { limit: 1 } }] }])
    const send = async () => {
      const intent = await post('/v1/transaction_intents', { account: user.openfortAccount.id, chainId: anvil.id, interactions: [{ to: user.contracts.nft, data: mintData() }] })
      return post(`/v1/transaction_intents/${intent.body.id}/signature`, { signature: await key.signMessage({ message: { raw: intent.body.nextAction!.payload.signableHash } }) })
    }
    expect(await send()).toMatchObject({ status: 200, body: { response: { status: 1 } } })
    const refused = await send()
    expect(refused.status).toBe(400)
    expect(refused.body.error?.message).toMatch(/^execution reverted: LimitReached\(0x[0-9a-fA-F]{40}, 0, 1\)$/)
  })

  test('error: without credentials 401, an unknown path 404, a malformed intent 400 naming the field', async () => {
    expect((await post('/v1/transaction_intents', {}, 'Bearer nobody')).status).toBe(401)
    expect(await post('/v1/players', {})).toMatchObject({ status: 404, body: { error: { message: 'POST /v1/players is not part of this development backend' } } })
    expect(await post('/v1/transaction_intents', { account: user.openfortAccount.id, chainId: anvil.id, interactions: [{ to: 'nft' }] })).toMatchObject({
      status: 400,
      body: { error: { message: 'interactions[0].to: must be an address, got "nft"' } },
    })
    expect((await post('/v1/transaction_intents', { account: user.openfortAccount.id, chainId: 1, interactions: [] })).body.error?.message).toBe('chainId: this backend serves chain 31337, got 1')
  })
})
