/**
 * thirdweb's account (compiled from @thirdweb-dev/contracts, EntryPoint v0.6) on anvil, with alto
 * on 127.0.0.1: keyleash against thirdweb's own SDK (`thirdweb` v5) doing the same by hand, one
 * process, the same account, the same owner wallet, the same relayer.
 *
 * - The grant: keyleash's `wallet_grantPermissions` under `thirdweb({ relayer })` (checks the
 *   account, asks the owner for one `eth_signTypedData_v4`, simulates and sends
 *   `setPermissionsForSigner` from the relayer, reads the permissions back, stores the session)
 *   against thirdweb's `addSessionKey` (the owner signs the same request through the same
 *   wallet), sent by the same relayer with thirdweb's `sendTransaction`. Both wait for the
 *   receipt with viem at 100 ms: thirdweb's `waitForReceipt` starts a block poller per chain
 *   that outlives it, polling through the other side's turn.
 * - The session-signed send: `wallet_sendCalls` under that session (checked, signed and sent by
 *   `erc4337Executor` as a UserOperation, answered once it is on chain) against
 *   `createUnsignedUserOp`, `signUserOp`, `bundleUserOp`, `waitForUserOpReceipt` with the same
 *   key; both poll the receipt every 100 ms (keyleash's interval; thirdweb's default is 1 s).
 *
 * Paired rounds in rotating order (bench/timing.ts): wall time is mostly the chain and alto, CPU
 * time is this process's own work (alto and anvil are other processes).
 * Run alone: node --import tsx bench/thirdweb.bench.ts
 */
import { fileURLToPath } from 'node:url'
import { createThirdwebClient, defineChain, getContract, prepareContractCall, sendTransaction } from 'thirdweb'
import { addSessionKey } from 'thirdweb/extensions/erc4337'
import { type Account, privateKeyToAccount as thirdwebPrivateKeyAccount } from 'thirdweb/wallets'
import { bundleUserOp, createUnsignedUserOp, signUserOp, waitForUserOpReceipt } from 'thirdweb/wallets/smart'
import { type Hex, createPublicClient, createWalletClient, custom, encodeFunctionData, erc721Abi, http, numberToHex, parseEther } from 'viem'
import { entryPoint06Address } from 'viem/account-abstraction'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { anvil } from 'viem/chains'
import { demoNftAbi } from '../src/devwallet/artifacts.js'
import { startDevChain } from '../src/devwallet/chain.js'
import { startBundler } from '../src/devwallet/erc4337/bundler.js'
import { createDevThirdweb, thirdwebAccountAbi } from '../src/devwallet/thirdweb/index.js'
import { fund } from '../src/devwallet/wallet.js'
import { erc4337Executor } from '../src/execution/erc4337.js'
import { withSessionKeys } from '../src/provider.js'
import { memoryStore } from '../src/sessions/memoryStore.js'
import { thirdwebAccount } from '../src/wallets/thirdweb/account.js'
import { thirdweb } from '../src/wallets/thirdweb/dialect.js'
import { compare, describeComparison, printLoad } from './timing.js'

// Each grant is a transaction, each send a UserOperation mined through alto: few rounds, one a side each.
const rounds = 24
const batch = 1
const warmup = 3
const pollMs = 100
const hour = 3600

/** Runs the thirdweb bench: keyleash's grant and session-signed send against thirdweb's SDK by hand. */
export async function run(): Promise<void> {
  printLoad('thirdweb')
  const chain = await startDevChain()
  const bundler = await startBundler({ rpcUrl: chain.rpcUrl })
  try {
    const wallet = await createDevThirdweb({ rpcUrl: chain.rpcUrl })
    const reader = createPublicClient({ chain: anvil, transport: http(chain.rpcUrl), pollingInterval: pollMs })
    const relayerKey = generatePrivateKey()
    const relayer = privateKeyToAccount(relayerKey)
    await fund(reader as never, relayer.address, parseEther('10'))

    const executor = erc4337Executor({ account: thirdwebAccount(), bundler: bundler.url, transport: http(chain.rpcUrl) })
    const provider = withSessionKeys(wallet.provider, { store: memoryStore(), executor, account: wallet.account, wallet: thirdweb({ relayer, transport: http(chain.rpcUrl) }) })
    const nftCall = { type: 'contract-call', data: { address: wallet.contracts.nft, calls: ['mint(address)'] }, policies: [] }
    const grantFor = async (signer?: Hex) => {
      const expiry = Math.floor(Date.now() / 1000) + hour
      const extra = signer ? { signer: { type: 'account', data: { id: signer } } } : {}
      return (await provider.request({ method: 'wallet_grantPermissions', params: [{ expiry, permissions: [nftCall], ...extra }] })) as { permissionsContext: string }
    }

    // thirdweb's SDK, offline: a client id it never sends anywhere here (every URL is local).
    const client = createThirdwebClient({ clientId: 'keyleash-bench' })
    const twChain = defineChain({ id: anvil.id, rpc: chain.rpcUrl })
    const accountContract = getContract({ client, chain: twChain, address: wallet.account })
    const factoryContract = getContract({ client, chain: twChain, address: wallet.factory })

    // --- The grant ---------------------------------------------------------------------------
    const owner = createWalletClient({ account: wallet.owner, chain: anvil, transport: custom(wallet.provider) })
    // thirdweb's Account for the owner: only its signature is asked of it, through the same wallet.
    const ownerAccount = { address: wallet.owner, signTypedData: (typedData: Parameters<typeof owner.signTypedData>[0]) => owner.signTypedData(typedData) } as unknown as Account
    const relayerAccount = thirdwebPrivateKeyAccount({ client, privateKey: relayerKey })
    const grantByHand = async () => {
      const transaction = addSessionKey({
        contract: accountContract,
        account: ownerAccount,
        sessionKeyAddress: privateKeyToAccount(generatePrivateKey()).address,
        permissions: { approvedTargets: [wallet.contracts.nft], nativeTokenLimitPerTransaction: 0, permissionStartTimestamp: new Date(0), permissionEndTimestamp: new Date(Date.now() + hour * 1000) },
      })
      const { transactionHash } = await sendTransaction({ transaction, account: relayerAccount })
      const { status } = await reader.waitForTransactionReceipt({ hash: transactionHash })
      if (status !== 'success') throw new Error(`setPermissionsForSigner reverted (${transactionHash})`)
    }
    const activeSigners = async () => (await reader.readContract({ address: wallet.account, abi: thirdwebAccountAbi, functionName: 'getAllActiveSigners' })).length
    const grants = { signers: await activeSigners(), prompts: wallet.prompts }
    const grantPaired = await compare({ floor: { name: 'thirdweb addSessionKey by hand', run: grantByHand }, subject: { name: 'keyleash wallet_grantPermissions', run: () => grantFor() }, rounds, batch, warmup })
    // Every grant of both sides is a live session key on the account, for one owner prompt each.
    const granted = 2 * (rounds + warmup) * batch
    const signers = (await activeSigners()) - grants.signers
    if (signers !== granted) throw new Error(`expected ${granted} new session keys on the account, it has ${signers}`)
    if (wallet.prompts - grants.prompts !== granted) throw new Error(`${granted} grants prompted the owner ${wallet.prompts - grants.prompts} times`)
    console.log(`grant (setPermissionsForSigner from a relayer): ${signers} session keys set on the account, one owner prompt each`)
    console.log(describeComparison(grantPaired))

    // --- The session-signed send -------------------------------------------------------------
    const privateKey = generatePrivateKey()
    const { permissionsContext: context } = await grantFor(await provider.sessions.importKey(privateKey))
    const sendsFrom = wallet.prompts
    const data = encodeFunctionData({ abi: demoNftAbi, functionName: 'mint', args: [wallet.account] })
    const send = { method: 'wallet_sendCalls', params: [{ version: '2.0.0', chainId: numberToHex(anvil.id), atomicRequired: true, calls: [{ to: wallet.contracts.nft, data }], capabilities: { permissions: { context } } }] }
    const sessionKey = thirdwebPrivateKeyAccount({ client, privateKey })
    const bundlerOptions = { bundlerUrl: bundler.url, entrypointAddress: entryPoint06Address, chain: twChain, client }
    const sendByHand = async () => {
      const transaction = prepareContractCall({ contract: accountContract, method: 'function execute(address _target, uint256 _value, bytes _calldata)', params: [wallet.contracts.nft, 0n, data] })
      const unsigned = await createUnsignedUserOp({ transaction, factoryContract, accountContract, adminAddress: sessionKey.address, sponsorGas: false, isDeployedOverride: true, overrides: { bundlerUrl: bundler.url, entrypointAddress: entryPoint06Address } })
      const userOp = await signUserOp({ client, chain: twChain, userOp: unsigned, entrypointAddress: entryPoint06Address, adminAccount: sessionKey })
      const userOpHash = await bundleUserOp({ userOp, options: bundlerOptions })
      return waitForUserOpReceipt({ ...bundlerOptions, userOpHash: userOpHash as Hex, intervalMs: pollMs })
    }
    const balance = () => reader.readContract({ address: wallet.contracts.nft, abi: erc721Abi, functionName: 'balanceOf', args: [wallet.account] })
    const before = await balance()
    const sendPaired = await compare({ floor: { name: 'thirdweb SDK by hand', run: sendByHand }, subject: { name: 'keyleash + erc4337Executor', run: () => provider.request(send) }, rounds, batch, warmup })
    // Every send of both sides minted: none was refused or dropped along the way.
    const minted = (await balance()) - before
    const expected = BigInt(2 * (rounds + warmup) * batch)
    if (minted !== expected) throw new Error(`expected ${expected} mints, the account has ${minted} more`)
    if (wallet.prompts !== sendsFrom) throw new Error(`the sends prompted the owner ${wallet.prompts - sendsFrom} times`)
    console.log(`session-signed mint through alto (EntryPoint v0.6): ${minted} UserOperations on chain, none prompted the owner`)
    console.log(describeComparison(sendPaired))
  } finally {
    await bundler.stop()
    await chain.stop()
  }
  printLoad('thirdweb')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run()
