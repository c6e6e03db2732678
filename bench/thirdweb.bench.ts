/**
 * A session-signed send on thirdweb's account (compiled from @thirdweb-dev/contracts, EntryPoint
 * v0.6) through alto on 127.0.0.1: keyleash (`wallet_sendCalls` under the session, checked,
 * signed and sent by `erc4337Executor` as a UserOperation, answered once it is on chain) against
 * thirdweb's own SDK (`thirdweb` v5) doing the same by hand with the same session key:
 * `createUnsignedUserOp`, `signUserOp`, `bundleUserOp`, `waitForUserOpReceipt`. One process, the
 * same account, the same mint, the same bundler; both poll the receipt every 100 ms (keyleash's
 * interval; thirdweb's default is 1 s). Paired rounds in rotating order (bench/timing.ts): wall
 * time is mostly the chain and alto, CPU time is this process's own work (alto and anvil are
 * other processes). The session is set on the account by its owner (`setPermissionsForSigner`)
 * and put into keyleash's store by hand, as thirdweb's grant side is not on main yet.
 * Run alone: node --import tsx bench/thirdweb.bench.ts
 */
import { fileURLToPath } from 'node:url'
import { createThirdwebClient, defineChain, getContract, prepareContractCall } from 'thirdweb'
import { privateKeyToAccount as thirdwebPrivateKeyAccount } from 'thirdweb/wallets'
import { bundleUserOp, createUnsignedUserOp, signUserOp, waitForUserOpReceipt } from 'thirdweb/wallets/smart'
import { type Hex, createPublicClient, encodeFunctionData, erc721Abi, http, numberToHex } from 'viem'
import { entryPoint06Address } from 'viem/account-abstraction'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { anvil } from 'viem/chains'
import { demoNftAbi } from '../src/devwallet/artifacts.js'
import { startDevChain } from '../src/devwallet/chain.js'
import { startBundler } from '../src/devwallet/erc4337/bundler.js'
import { createDevThirdweb } from '../src/devwallet/thirdweb/index.js'
import { erc4337Executor } from '../src/execution/erc4337.js'
import { enforcedBy } from '../src/permissions/enforcement.js'
import { withSessionKeys } from '../src/provider.js'
import { memoryStore } from '../src/sessions/memoryStore.js'
import { thirdwebAccount } from '../src/wallets/thirdweb/account.js'
import { sessionFixture } from '../test/utils/sessionFixture.js'
import { setSignerPermissions } from '../test/utils/thirdweb.js'
import { compare, describeComparison, printLoad } from './timing.js'

// Each send is a UserOperation mined through alto (a few hundred ms): few rounds, one send a side each.
const rounds = 24
const batch = 1
const warmup = 3
const pollMs = 100

/** Runs the thirdweb bench: keyleash's session-signed send against thirdweb's SDK by hand. */
export async function run(): Promise<void> {
  printLoad('thirdweb')
  const chain = await startDevChain()
  const bundler = await startBundler({ rpcUrl: chain.rpcUrl })
  try {
    const wallet = await createDevThirdweb({ rpcUrl: chain.rpcUrl })
    const reader = createPublicClient({ chain: anvil, transport: http(chain.rpcUrl) })
    const privateKey = generatePrivateKey()
    const key = privateKeyToAccount(privateKey).address
    const { timestamp } = await reader.getBlock()
    await setSignerPermissions(chain.rpcUrl, wallet, key, { targets: [wallet.contracts.nft], nativeLimit: 0n, end: timestamp + 86_400n })

    const granted = wallet.prompts
    const store = memoryStore()
    const executor = erc4337Executor({ account: thirdwebAccount(), bundler: bundler.url, transport: http(chain.rpcUrl) })
    const provider = withSessionKeys(wallet.provider, { store, executor, account: wallet.account })
    await provider.sessions.importKey(privateKey)
    const context = `0x${key.slice(2).toLowerCase()}`
    await store.put(
      sessionFixture({
        id: context,
        chainId: anvil.id,
        account: wallet.account,
        signer: { type: 'account', address: key },
        keyAddress: key,
        expiry: Number(timestamp) + 86_400,
        permissions: [{ type: 'contract-call', target: wallet.contracts.nft, selectors: ['0x6a627842'] }],
        policies: [],
        wallet: 'thirdweb',
        enforcedBy: enforcedBy(['target', 'value', 'expiry']),
      }),
    )
    const data = encodeFunctionData({ abi: demoNftAbi, functionName: 'mint', args: [wallet.account] })
    const send = { method: 'wallet_sendCalls', params: [{ version: '2.0.0', chainId: numberToHex(anvil.id), atomicRequired: true, calls: [{ to: wallet.contracts.nft, data }], capabilities: { permissions: { context } } }] }
    const keyleash = () => provider.request(send)

    // thirdweb's SDK, offline: a client id it never sends anywhere here (every URL is local).
    const client = createThirdwebClient({ clientId: 'keyleash-bench' })
    const twChain = defineChain({ id: anvil.id, rpc: chain.rpcUrl })
    const accountContract = getContract({ client, chain: twChain, address: wallet.account })
    const factoryContract = getContract({ client, chain: twChain, address: wallet.factory })
    const sessionKey = thirdwebPrivateKeyAccount({ client, privateKey })
    const bundlerOptions = { bundlerUrl: bundler.url, entrypointAddress: entryPoint06Address, chain: twChain, client }
    const byHand = async () => {
      const transaction = prepareContractCall({ contract: accountContract, method: 'function execute(address _target, uint256 _value, bytes _calldata)', params: [wallet.contracts.nft, 0n, data] })
      const unsigned = await createUnsignedUserOp({ transaction, factoryContract, accountContract, adminAddress: key, sponsorGas: false, isDeployedOverride: true, overrides: { bundlerUrl: bundler.url, entrypointAddress: entryPoint06Address } })
      const userOp = await signUserOp({ client, chain: twChain, userOp: unsigned, entrypointAddress: entryPoint06Address, adminAccount: sessionKey })
      const userOpHash = await bundleUserOp({ userOp, options: bundlerOptions })
      return waitForUserOpReceipt({ ...bundlerOptions, userOpHash: userOpHash as Hex, intervalMs: pollMs })
    }

    const balance = () => reader.readContract({ address: wallet.contracts.nft, abi: erc721Abi, functionName: 'balanceOf', args: [wallet.account] })
    const before = await balance()
    const paired = await compare({ floor: { name: 'thirdweb SDK by hand', run: byHand }, subject: { name: 'keyleash + erc4337Executor', run: keyleash }, rounds, batch, warmup })
    // Every send of both sides minted: none was refused or dropped along the way.
    const minted = (await balance()) - before
    const expected = BigInt(2 * (rounds + warmup) * batch)
    if (minted !== expected) throw new Error(`expected ${expected} mints, the account has ${minted} more`)
    if (wallet.prompts !== granted) throw new Error(`the sends prompted the owner ${wallet.prompts - granted} times`)
    console.log(`session-signed mint through alto (EntryPoint v0.6): ${minted} UserOperations on chain, none prompted the owner`)
    console.log(describeComparison(paired))
  } finally {
    await bundler.stop()
    await chain.stop()
  }
  printLoad('thirdweb')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run()
