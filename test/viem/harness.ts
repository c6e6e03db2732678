import { type Address, type PublicClient, createPublicClient, createWalletClient, custom, http } from 'viem'
import { anvil } from 'viem/chains'
import { erc7715Actions } from 'viem/experimental'
import type { Approve } from '../../src/devwallet/context.js'
import { type DevWallet, createDevWallet } from '../../src/devwallet/wallet.js'
import type { KeyleashOptions } from '../../src/options.js'
import { type KeyleashProvider, withSessionKeys } from '../../src/provider.js'
import type { RequestArguments } from '../../src/types.js'

/**
 * An EIP-1193 provider that counts what passes through it, by method: put between viem and
 * keyleash, it shows how many times viem really sent a request (a retry would count twice).
 */
export function counting(provider: KeyleashProvider): Pick<KeyleashProvider, 'request' | 'sessions'> & { count(method: string): number; reset(): void } {
  const counts = new Map<string, number>()
  return {
    sessions: provider.sessions,
    request: ((args: RequestArguments) => {
      counts.set(args.method, (counts.get(args.method) ?? 0) + 1)
      return provider.request(args)
    }) as KeyleashProvider['request'],
    count: (method) => counts.get(method) ?? 0,
    reset: () => counts.clear(),
  }
}

/** The chain's clock minus the system's, in seconds: other files may have moved the chain's time. */
export async function chainClockOffset(publicClient: PublicClient): Promise<number> {
  return Number((await publicClient.getBlock()).timestamp) - Math.floor(Date.now() / 1000)
}

/** One dev wallet per test file, an approval switch, and the chain clock keyleash must share with the account. */
export function viemHarness(rpcUrl: string) {
  const publicClient = createPublicClient({ chain: anvil, transport: http(rpcUrl), pollingInterval: 10 }) as PublicClient
  let approving = true
  let offset = 0
  let wallet: DevWallet | undefined

  const approve: Approve = () => approving
  return {
    publicClient,
    /** Call in `beforeAll`: deploys the wallet's account and the demo contracts. */
    async start(): Promise<DevWallet> {
      offset = await chainClockOffset(publicClient)
      wallet = await createDevWallet({ rpcUrl, approve })
      return wallet
    },
    get wallet(): DevWallet {
      if (wallet === undefined) throw new Error('call start() in beforeAll first')
      return wallet
    },
    /** Whether the wallet's confirmation screen says yes (the dev wallet answers 4001 otherwise). */
    approving(value: boolean): void {
      approving = value
    },
    /** The chain's present time in UNIX seconds, as the SessionAccount reads it. */
    now: () => Math.floor(Date.now() / 1000) + offset,
    /** keyleash over the dev wallet, a request counter in front of it, and a viem wallet client over both. */
    client(options: KeyleashOptions = {}, account?: Address) {
      const provider = counting(withSessionKeys(this.wallet.provider, { now: this.now, ...options }))
      const client = createWalletClient({ account: account ?? this.wallet.account, chain: anvil, transport: custom(provider) }).extend(erc7715Actions())
      return { provider, client }
    },
    /** The NFT's `mint(address)` for an hour, granted with a key keyleash makes; the request counter starts from zero after it. */
    async granted(options: KeyleashOptions = {}) {
      const { provider, client } = this.client(options)
      const { permissionsContext: context } = await client.grantPermissions({ expiry: 60 * 60, permissions: this.mintPermission() })
      const key = (await provider.sessions.get(context))?.keyAddress
      if (key === undefined) throw new Error('the grant kept no key')
      provider.reset()
      return { provider, client, context, key }
    },
    /** The seed's permission: the demo NFT's `mint(address)`. */
    mintPermission() {
      return [{ type: 'contract-call' as const, data: { address: this.wallet.contracts.nft, calls: ['mint(address)'] }, policies: [] }]
    },
  }
}
