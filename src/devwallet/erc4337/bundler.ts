import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { connect } from 'node:net'
import { networkInterfaces, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { parseEther } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { freePort, stopChild, trackChild } from '../chain.js'
import { devClients, fund } from '../wallet.js'
import { deployEntryPoints } from './entryPoints.js'

/** Options of {@link startBundler}. */
export type StartBundlerOptions = {
  /** JSON-RPC URL of the dev chain (anvil), e.g. `startDevChain()`'s `rpcUrl`. */
  rpcUrl: string
  /** Port on 127.0.0.1. Default: a free port chosen by the OS. */
  port?: number | undefined
  /** How long to wait for alto to answer, in ms. Default: 60 000 (it takes ~10 s). */
  timeoutMs?: number | undefined
}

/** A running bundler; {@link DevBundler.stop} ends it. */
export type DevBundler = {
  /** `http://127.0.0.1:<port>`: ERC-4337's bundler RPC (`eth_sendUserOperation` …). */
  url: string
  /** Process id of alto. */
  pid: number
  /** Kills alto and resolves once it has exited. Safe to call twice. */
  stop(): Promise<void>
}

/**
 * Thrown when alto cannot be started, or would listen beyond 127.0.0.1; the message says what to do.
 *
 * @example
 * try { await startBundler({ rpcUrl }) } catch (e) { if (e instanceof DevBundlerError) console.error(e.message) }
 */
export class DevBundlerError extends Error {
  override name = 'DevBundlerError' as const
}

// alto 0.0.20 listens on 0.0.0.0 whatever its options say (`host: "0.0.0.0"` in esm/rpc/server.js)
// and has no host option: this module, loaded before alto, binds every server it starts to
// 127.0.0.1. `startBundler` then checks from outside that nothing answers beyond loopback.
const loopbackOnly = [
  'import net from "node:net";',
  'const listen = net.Server.prototype.listen;',
  'net.Server.prototype.listen = function (...args) {',
  '  if (typeof args[0] === "object" && args[0] !== null && !("fd" in args[0]) && !("path" in args[0])) args[0] = { ...args[0], host: "127.0.0.1" };',
  '  else if (typeof args[0] === "number" || /^[0-9]+$/.test(String(args[0]))) args.splice(1, typeof args[1] === "string" ? 1 : 0, "127.0.0.1");',
  '  return listen.apply(this, args);',
  '};',
].join('\n')

/**
 * Starts alto (Pimlico's ERC-4337 bundler, `@pimlico/alto`) on 127.0.0.1 against a dev chain,
 * for local development and tests: deploys the EntryPoints v0.6 and v0.7 at their canonical
 * addresses if they are not there, funds a fresh executor key (its keys reach alto in its
 * environment, never on its command line), and resolves once alto answers. It refuses to run
 * (stops alto and throws) if alto answers on any address of this machine beyond loopback.
 *
 * @example
 * import { startBundler, startDevChain } from 'keyleash/devwallet'
 *
 * const chain = await startDevChain()
 * const bundler = await startBundler({ rpcUrl: chain.rpcUrl })
 * // … eth_sendUserOperation to bundler.url …
 * await bundler.stop()
 */
export async function startBundler(options: StartBundlerOptions): Promise<DevBundler> {
  const { rpcUrl, timeoutMs = 60_000 } = options
  const { publicClient, relayerClient } = await devClients(rpcUrl)
  const { v06, v07 } = await deployEntryPoints(relayerClient, publicClient)
  const executorKey = generatePrivateKey()
  const utilityKey = generatePrivateKey()
  for (const key of [executorKey, utilityKey]) await fund(publicClient, privateKeyToAccount(key).address, parseEther('1000'))

  const port = options.port ?? (await freePort())
  const args = [
    '--import',
    `data:text/javascript,${encodeURIComponent(loopbackOnly)}`,
    altoCli(),
    '--entrypoints', `${v06},${v07}`,
    '--rpc-url', rpcUrl,
    '--port', String(port),
    // Safe mode traces validation with a JavaScript tracer, which anvil has not.
    '--safe-mode', 'false',
    // alto's own gas estimates, as a hosted bundler has them: an account whose validation costs
    // more than its estimate finds says so itself (an account family's verificationGasLimit, as thirdwebAccount's).
    '--log-level', 'warn',
  ]
  // Its own working directory: alto reads a `.env` from there, and the app's is not alto's.
  const child = spawn(process.execPath, args, {
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? '', ALTO_EXECUTOR_PRIVATE_KEYS: executorKey, ALTO_UTILITY_PRIVATE_KEY: utilityKey },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  trackChild(child)
  child.unref()
  let output = ''
  for (const stream of [child.stdout, child.stderr]) {
    ;(stream as (typeof stream & { unref?: () => void }) | null)?.unref?.()
    stream?.setEncoding('utf8').on('data', (chunk: string) => {
      output = (output + chunk).slice(-4000)
    })
  }
  const stop = () => stopChild(child, 3000)
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + timeoutMs
  while (!(await answers(url))) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new DevBundlerError(`alto exited (code ${child.exitCode ?? child.signalCode}) before answering: ${output.trim() || 'no output'}`)
    if (Date.now() > deadline) {
      await stop()
      throw new DevBundlerError(`alto did not answer on ${url} within ${timeoutMs} ms: ${output.trim() || 'no output'}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const beyond = await reachableBeyondLoopback(port)
  if (beyond.length > 0) {
    await stop()
    throw new DevBundlerError(`alto answered on ${beyond.join(', ')} port ${port}, beyond 127.0.0.1: it was stopped. A bundler on the dev chain must not be reachable from the network`)
  }
  if (child.pid === undefined) throw new DevBundlerError('alto started without a pid')
  return { url, pid: child.pid, stop }
}

/**
 * The addresses of this machine, other than loopback, on which something accepts a TCP
 * connection on `port`: empty for a server bound to 127.0.0.1 only.
 *
 * @example
 * if ((await reachableBeyondLoopback(port)).length > 0) throw new Error('listens on the network')
 */
export async function reachableBeyondLoopback(port: number): Promise<string[]> {
  const addresses = Object.values(networkInterfaces())
    .flatMap((entries) => entries ?? [])
    .filter((entry) => !entry.internal)
    .map((entry) => entry.address)
  const open = await Promise.all(addresses.map((host) => accepts(host, port)))
  return addresses.filter((_, i) => open[i])
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1000 })
    const done = (result: boolean) => {
      socket.destroy()
      resolve(result)
    }
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
    socket.once('timeout', () => done(false))
  })
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_supportedEntryPoints', params: [] }) })
    const body = (await response.json()) as { result?: unknown }
    return Array.isArray(body.result)
  } catch {
    return false
  }
}

function altoCli(): string {
  const require = createRequire(import.meta.url)
  try {
    // The package exports its entry (esm/index.js) only; the CLI sits beside it.
    return join(dirname(require.resolve('@pimlico/alto')), 'cli', 'alto.js')
  } catch {
    throw new DevBundlerError('alto is not installed: npm i -D @pimlico/alto@0.0.20')
  }
}
