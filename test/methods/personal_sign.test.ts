import { createWalletClient, custom, keccak256, stringToHex, verifyMessage, verifyTypedData, type Address } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import { withSessionKeys } from '../../src/provider.js'
import { memoryStore } from '../../src/sessions/memoryStore.js'
import { account, nft, now, scriptedWallet } from '../utils/scriptedWallet.js'

async function setup() {
  let clock = now
  const inner = scriptedWallet('erc7715', { personal_sign: '0xfromwallet', eth_signTypedData_v4: '0xfromwallet' })
  const provider = withSessionKeys(inner, { now: () => clock })
  const key = await provider.sessions.importKey(generatePrivateKey())
  const { permissionsContext } = (await provider.request({
    method: 'wallet_grantPermissions',
    params: [{ expiry: 3600, signer: { type: 'account', data: { id: key } }, permissions: [{ type: 'contract-call', data: { address: nft } }] }],
  })) as { permissionsContext: string }
  const client = createWalletClient({ transport: custom(provider) })
  return { inner, provider, key, context: permissionsContext, client, advance: (seconds: number) => (clock += seconds) }
}

const typed = {
  domain: { name: 'Backend', version: '1', chainId: 31337 },
  types: { Intent: [{ name: 'id', type: 'uint256' }] },
  primaryType: 'Intent',
  message: { id: 7n },
} as const

describe('personal_sign', () => {
  test('default: a live session key signs a backend\'s signableHash locally, as raw bytes, without the wallet', async () => {
    const { inner, client, key } = await setup()
    const signableHash = keccak256(stringToHex('transaction intent'))
    const signature = await client.signMessage({ account: key, message: { raw: signableHash } })
    expect(await verifyMessage({ address: key, message: { raw: signableHash }, signature })).toBe(true)
    expect(inner.paramsOf('personal_sign')).toHaveLength(0)
  })
  test('behavior: any other address goes to the wallet untouched', async () => {
    const { inner, client } = await setup()
    expect(await client.signMessage({ account, message: 'hello' })).toBe('0xfromwallet')
    expect(inner.paramsOf('personal_sign')).toHaveLength(1)
  })
  test('error: an expired session\'s key never signs', async () => {
    const { client, key, advance } = await setup()
    advance(3600)
    await expect(client.signMessage({ account: key, message: 'late' })).rejects.toMatchObject({ code: 4100 })
  })
  test('error: a revoked session\'s key never signs', async () => {
    const { provider, client, key, context, inner } = await setup()
    await provider.sessions.revoke(context)
    await expect(client.signMessage({ account: key, message: 'after' })).rejects.toMatchObject({ code: 4100 })
    expect(inner.paramsOf('personal_sign')).toHaveLength(0)
  })
})

describe('eth_signTypedData_v4', () => {
  test('default: a live session key signs typed data locally', async () => {
    const { inner, client, key } = await setup()
    const signature = await client.signTypedData({ account: key as Address, ...typed })
    expect(await verifyTypedData({ address: key, ...typed, signature })).toBe(true)
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
    const a = withSessionKeys(scriptedWallet('erc7715'), { now: () => clock, store })
    const innerB = scriptedWallet('erc7715', { personal_sign: '0xfromwallet' })
    const b = withSessionKeys(innerB, { now: () => clock, store })
    // B looks a key up before the grant, so its index is built without it.
    expect(await b.request({ method: 'personal_sign', params: ['0x1234', account] })).toBe('0xfromwallet')
    const key = await a.sessions.importKey(generatePrivateKey())
    await a.request({
      method: 'wallet_grantPermissions',
      params: [{ expiry: 3600, signer: { type: 'account', data: { id: key } }, permissions: [{ type: 'contract-call', data: { address: nft } }] }],
    })
    // B reads the store again at most once a second after a miss.
    clock += 1
    const signature = (await b.request({ method: 'personal_sign', params: ['0x1234', key] })) as `0x${string}`
    expect(await verifyMessage({ address: key, message: { raw: '0x1234' }, signature })).toBe(true)
    expect(innerB.paramsOf('personal_sign')).toHaveLength(1)
  })
})
