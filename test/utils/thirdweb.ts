import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createThirdwebClient, defineChain, encode, getContract } from 'thirdweb'
import { addSessionKey } from 'thirdweb/extensions/erc4337'
import type { Account } from 'thirdweb/wallets'
import { type Address, type Hex, createPublicClient, createWalletClient, custom, formatEther, http, numberToHex } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { anvil } from 'viem/chains'
import { afterAll, beforeAll } from 'vitest'
import { type DevChain, startDevChain } from '../../src/devwallet/chain.js'
import { type DevBundler, startBundler } from '../../src/devwallet/erc4337/bundler.js'
import type { Approve } from '../../src/devwallet/context.js'
import { type DevThirdweb, createDevThirdweb } from '../../src/devwallet/thirdweb/index.js'
import { type Erc4337ExecutorOptions, erc4337Executor } from '../../src/execution/erc4337.js'
import { withSessionKeys } from '../../src/provider.js'
import { memoryStore } from '../../src/sessions/memoryStore.js'
import { thirdwebAccount } from '../../src/wallets/thirdweb/account.js'
import { sessionFixture } from './sessionFixture.js'

/**
 * The owner gives `signer` a session on the thirdweb account with thirdweb's own SDK
 * (`addSessionKey`): its `SignerPermissionRequest`, signed as EIP-712 typed data by the owner's
 * wallet, sent by the owner as `setPermissionsForSigner`. For tests of what runs under a
 * session the account holds, set without keyleash's grant side.
 *
 * @example
 * await setSignerPermissions(rpcUrl, wallet, key, { targets: [nft], nativeLimit: 0n, end: now + 3600n })
 */
export async function setSignerPermissions(rpcUrl: string, wallet: DevThirdweb, signer: Address, permissions: { targets: readonly Address[]; nativeLimit: bigint; end: bigint; start?: bigint }): Promise<void> {
  const owner = createWalletClient({ account: wallet.owner, chain: anvil, transport: custom(wallet.provider) })
  const publicClient = createPublicClient({ chain: anvil, transport: http(rpcUrl) })
  const client = createThirdwebClient({ clientId: 'keyleash-test' })
  const contract = getContract({ client, chain: defineChain({ id: anvil.id, rpc: rpcUrl }), address: wallet.account })
  // thirdweb's Account for the owner: only the signature is asked of it here.
  const account = { address: wallet.owner, signTypedData: (typedData: Parameters<typeof owner.signTypedData>[0]) => owner.signTypedData(typedData) } as unknown as Account
  const data = await encode(
    addSessionKey({
      contract,
      account,
      sessionKeyAddress: signer,
      permissions: {
        approvedTargets: [...permissions.targets],
        nativeTokenLimitPerTransaction: formatEther(permissions.nativeLimit),
        permissionStartTimestamp: new Date(Number(permissions.start ?? 0n) * 1000),
        permissionEndTimestamp: new Date(Number(permissions.end) * 1000),
      },
    }),
  )
  const hash = await owner.sendTransaction({ to: wallet.account, data })
  const receipt = await publicClient.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success') throw new Error(`setPermissionsForSigner reverted (${hash})`)
}

/**
 * A chain of its own, alto on 127.0.0.1 and a development thirdweb wallet (alto keeps nonces
 * and a mempool that a snapshot revert would leave behind), for a test file's `beforeAll`.
 *
 * @example
 * const env = await thirdwebEnvironment()
 * // …
 * await env.stop()
 */
export async function thirdwebEnvironment(approve?: Approve): Promise<{ chain: DevChain; bundler: DevBundler; wallet: DevThirdweb; stop(): Promise<void> }> {
  const chain = await startDevChain()
  const bundler = await startBundler({ rpcUrl: chain.rpcUrl }).catch(async (error: unknown) => {
    await chain.stop()
    throw error
  })
  const wallet = await createDevThirdweb({ rpcUrl: chain.rpcUrl, approve })
  return {
    chain,
    bundler,
    wallet,
    async stop() {
      await bundler.stop()
      await chain.stop()
    },
  }
}

/**
 * For a test file: a thirdweb environment of its own ({@link thirdwebEnvironment}), started
 * before its tests and stopped after them. `serve` starts an HTTP server on 127.0.0.1 for a test
 * (a hop that plays a misbehaving node or bundler), closed with the environment if not before.
 *
 * @example
 * const suite = thirdwebSuite()
 * test('…', async () => expect(await suite.publicClient().getChainId()).toBe(31337))
 */
export function thirdwebSuite(approve?: Approve) {
  let env: Awaited<ReturnType<typeof thirdwebEnvironment>> | undefined
  const servers: Server[] = []
  const stop = (server: Server) => {
    server.close()
    server.closeAllConnections()
  }
  beforeAll(async () => {
    env = await thirdwebEnvironment(approve)
  }, 120_000)
  afterAll(async () => {
    servers.forEach(stop)
    await env?.stop()
  })
  const running = () => {
    if (env === undefined) throw new Error('the thirdweb environment has not started: use it inside a test')
    return env
  }
  const publicClient = () => createPublicClient({ chain: anvil, transport: http(running().chain.rpcUrl), pollingInterval: 20 })
  return {
    get chain() {
      return running().chain
    },
    get bundler() {
      return running().bundler
    },
    get wallet() {
      return running().wallet
    },
    publicClient,
    /**
     * A keyleash provider over the owner's wallet, sending by `erc4337Executor` (thirdweb's
     * account, the chain's node, and `executor`'s options), whose store holds a session of a
     * fresh key on the account: keyleash's session allows `allowed`; the account holds the key
     * to `granted`, set by the owner with thirdweb's SDK.
     */
    async session(executor: Omit<Erc4337ExecutorOptions, 'account'>, { granted, allowed = granted }: { granted: readonly Address[]; allowed?: readonly Address[] }) {
      const { chain, wallet } = running()
      const store = memoryStore()
      const provider = withSessionKeys(wallet.provider, { store, executor: erc4337Executor({ account: thirdwebAccount(), transport: http(chain.rpcUrl), ...executor }), account: wallet.account })
      const key = await provider.sessions.importKey(generatePrivateKey())
      const { timestamp } = await publicClient().getBlock()
      await setSignerPermissions(chain.rpcUrl, wallet, key, { targets: granted, nativeLimit: 0n, end: timestamp + 3600n })
      const id = `0x${key.slice(2).toLowerCase()}`
      await store.put(
        sessionFixture({
          id,
          chainId: anvil.id,
          account: wallet.account,
          signer: { type: 'account', address: key },
          keyAddress: key,
          expiry: Number(timestamp) + 3600,
          permissions: allowed.map((target) => ({ type: 'contract-call', target, selectors: 'any' })),
          policies: [],
        }),
      )
      const send = (calls: { to: Address; data?: Hex; value?: Hex }[]) =>
        provider.request({ method: 'wallet_sendCalls', params: [{ version: '2.0.0', chainId: numberToHex(anvil.id), atomicRequired: true, calls, capabilities: { permissions: { context: id } } }] }) as Promise<{ id: Hex }>
      return { provider, store, key, id, send }
    },
    async serve(handler: RequestListener): Promise<{ url: string; close(): void }> {
      const server = createServer(handler)
      servers.push(server)
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => stop(server) }
    },
  }
}
