import { createPublicClient, http } from 'viem'
import { anvil } from 'viem/chains'
import { beforeAll, describe, expect, test } from 'vitest'
import { createDevWallet } from '../../src/devwallet/wallet.js'
import { startOpenfortBackend } from '../../src/devwallet/openfort/backend.js'
import { erc7715 } from '../../src/permissions/dialects/erc7715.js'
import { withSessionKeys } from '../../src/provider.js'
import { generateP256Key } from '../../src/sessions/p256Key.js'
import { walletKeyTypes } from '../../src/sessions/walletKeyTypes.js'
import { erc7715v2025 } from '../../src/wallets/erc7715-2025.js'
import { openfort } from '../../src/wallets/openfort.js'
import { useSharedChain } from '../utils/chain.js'
import { type DevOpenfort, createDevOpenfort } from '../../src/devwallet/openfort/sdk.js'

/*
 * Which key types a wallet takes: its dialect's `keyTypes`, narrowed by what the wallet's own
 * `wallet_getCapabilities` answers. Openfort's SDK 1.6.0 answers `keyTypes: ['secp256k1']`,
 * whatever its account contracts could check: a P-256 key is refused before its backend hears
 * of a session.
 */

const { rpcUrl, testClient } = useSharedChain()
const publicClient = createPublicClient({ chain: anvil, transport: http(rpcUrl) })
let user: DevOpenfort
// A dialect that claims more than the wallet says it takes: the wallet's word wins.
const claimsP256 = { ...openfort, keyTypes: ['secp256k1', 'secp256r1'] } as const

beforeAll(async () => {
  await testClient.setNextBlockTimestamp({ timestamp: BigInt(Math.max(Math.floor(Date.now() / 1000), Number((await publicClient.getBlock()).timestamp) + 1)) })
  await testClient.mine({ blocks: 1 })
  const backend = await startOpenfortBackend({ rpcUrl })
  user = await createDevOpenfort({ rpcUrl, backend })
  return async () => {
    await user.close()
    await backend.close()
  }
}, 60_000)

describe('walletKeyTypes', () => {
  test("behavior: Openfort's own SDK answers secp256k1 only, which narrows a dialect that claims secp256r1", async () => {
    expect(await walletKeyTypes(user.provider, claimsP256, user.account, anvil.id)).toStrictEqual(['secp256k1'])
  })

  test("behavior: the dev wallet answers what its dialect's signer can name", async () => {
    const v2025 = await createDevWallet({ rpcUrl, dialect: 'erc7715-2025' })
    const v2024 = await createDevWallet({ rpcUrl, dialect: 'erc7715' })
    expect(await walletKeyTypes(v2025.provider, erc7715v2025, v2025.account, anvil.id)).toStrictEqual(['secp256k1', 'secp256r1'])
    expect(await walletKeyTypes(v2024.provider, erc7715, v2024.account, anvil.id)).toStrictEqual(['secp256k1'])
    await Promise.all([v2025.close(), v2024.close()])
  }, 30_000)

  test("error: an app's secp256r1 key offered through Openfort's SDK is a -32602, and Openfort's backend is never asked for a session", async () => {
    const provider = withSessionKeys(user.provider, { wallet: claimsP256, executor: async () => ({ id: 'never' }) })
    const { publicKey } = await generateP256Key()
    const asked = user.backend.requests.length
    await expect(
      provider.request({
        method: 'wallet_grantPermissions',
        params: [{ expiry: 3600, signer: { type: 'key', data: { type: 'secp256r1', publicKey } }, permissions: [{ type: 'contract-call', data: { address: user.contracts.nft, calls: [] }, policies: [] }] }],
      }),
    ).rejects.toMatchObject({ code: -32602, message: "[0].signer: offers a P-256 (secp256r1) key, but the openfort wallet takes secp256k1 keys" })
    expect(user.backend.requests.slice(asked)).toStrictEqual([])
    expect(user.prompts).toBe(0)
  })
})
