import { type Hex, createPublicClient, encodeFunctionData, http } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { anvil } from 'viem/chains'
import { beforeAll, describe, expect, test } from 'vitest'
import { demoNftAbi, sessionAccountAbi } from '../../../src/devwallet/artifacts.js'
import { ANY_SELECTOR } from '../../../src/devwallet/contracts.js'
import { useSharedChain } from '../../utils/chain.js'
import { type DevOpenfort, createDevOpenfort } from '../../../src/devwallet/openfort/sdk.js'
import { rejectionOf } from '../../utils/rejection.js'

/*
 * The development backend, driven by Openfort's own SDK (its EvmProvider) where the SDK calls it,
 * and over HTTP where a server would.
 */

const { rpcUrl } = useSharedChain()
const publicClient = createPublicClient({ chain: anvil, transport: http(rpcUrl), pollingInterval: 10 })
let user: DevOpenfort

beforeAll(async () => {
  user = await createDevOpenfort({ rpcUrl })
  return () => user.close()
}, 60_000)

const post = async (path: string, body: unknown, authorization = `Bearer ${user.backend.secretKey}`) => {
  const response = await fetch(`${user.backend.url}${path}`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: response.status, body: (await response.json()) as { id: string; nextAction?: { payload: { signableHash: Hex } }; error?: { message: string }; response?: { status: number } } }
}
const grant = (key: string, permissions: unknown[], expiry = 3600) =>
  user.provider.request({ method: 'wallet_grantPermissions', params: [{ expiry, signer: { type: 'account', data: { id: key } }, permissions }] })
const onChain = (key: `0x${string}`) => publicClient.readContract({ address: user.account, abi: sessionAccountAbi, functionName: 'getSession', args: [key] })
const mintData = () => encodeFunctionData({ abi: demoNftAbi, functionName: 'mint', args: [user.account] })

describe('sessions, as the SDK registers them', () => {
  test('default: the window from the SDK\'s clock, every function of each whitelisted target, the limit; the owner signed once', async () => {
    const key = privateKeyToAccount(generatePrivateKey()).address
    const prompts = user.prompts
    const before = Math.floor(Date.now() / 1000)
    await grant(key, [{ type: 'contract-call', data: { address: user.contracts.nft, calls: ['mint(address)'] }, policies: [{ type: { custom: 'call-limit' }, data: { limit: 2 } }] }])
    const [session] = user.backend.sessions().filter((s) => s.address === key)
    expect(session).toMatchObject({ isActive: true, limit: 2, whitelist: [user.contracts.nft] })
    expect(session!.validUntil - session!.validAfter).toBe(3600)
    expect(session!.validAfter - before).toBeLessThanOrEqual(1)
    expect(await onChain(key)).toMatchObject({ exists: true, validUntil: session!.validUntil, callLimit: 2, scopes: [{ target: user.contracts.nft, selector: ANY_SELECTOR }] })
    expect(user.prompts - prompts).toBe(1)
  })

  test('error: what the account cannot hold is refused before the owner signs (the SDK answers -32003 with the message)', async () => {
    const prompts = user.prompts
    const error = await rejectionOf(grant(privateKeyToAccount(generatePrivateKey()).address, [{ type: 'contract-call', data: { address: user.account, calls: [] } }]))
    expect(error).toMatchObject({ code: -32003 })
    expect(error.message.replace(/0x[0-9a-fA-F]{40}/g, '0x…')).toMatchInlineSnapshot(`"permissions: 0x… is the account itself; a session key may never call its own account"`)
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
    expect(refused.body.error?.message).toMatch(/^execution reverted: CallLimitReached\(0x[0-9a-fA-F]{40}, 1\)$/)
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
