import { type Hash, type PublicClient, type TransactionReceipt, TransactionReceiptNotFoundError } from 'viem'

/**
 * The receipt of a transaction on an automining test chain, asked for until it is there.
 *
 * viem's `waitForTransactionReceipt` waits on new blocks, and on a chain that mines only when a
 * transaction arrives the next block may never come: twice, in CI, a mined transaction's wait ran
 * out (its nonce spent, the pool empty). Asking for the receipt itself has no such window.
 */
export async function receiptOf(client: PublicClient, hash: Hash, timeout = 20_000): Promise<TransactionReceipt> {
  const deadline = Date.now() + timeout
  for (;;) {
    try {
      return await client.getTransactionReceipt({ hash })
    } catch (error) {
      if (!(error instanceof TransactionReceiptNotFoundError)) throw error
    }
    if (Date.now() > deadline) {
      const known = await client.getTransaction({ hash }).then(
        (tx) => `the node has it ${tx.blockNumber === null ? 'pending' : `in block ${tx.blockNumber}`}`,
        () => 'the node does not know it',
      )
      throw new Error(`no receipt for ${hash} in ${timeout / 1000} s; ${known}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
