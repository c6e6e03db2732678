import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'

/** Options of {@link startDevChain}. */
export type StartDevChainOptions = {
  /** Port on 127.0.0.1. Default: a free port chosen by the OS. */
  port?: number
  /** Chain id anvil reports. Default: 31337 (anvil's default). */
  chainId?: number
  /** Seconds between blocks. Default: none, a block is mined per transaction (automine). */
  blockTime?: number
  /** How long to wait for anvil to answer `eth_chainId`, in ms. Default: 10 000. */
  timeoutMs?: number
}

/** A running local chain; {@link DevChain.stop} ends it. */
export type DevChain = {
  /** `http://127.0.0.1:<port>` */
  rpcUrl: string
  chainId: number
  /** Process id of anvil (tests use it to prove that `stop` left nothing behind). */
  pid: number
  /** Kills anvil and resolves once it has exited. Safe to call twice. */
  stop(): Promise<void>
}

/** What {@link startDevChain} rejects with (viem's `XErrorType` convention). */
export type StartDevChainErrorType = DevChainError

/**
 * Thrown when anvil cannot be found or does not start; the message says what to do.
 *
 * @example
 * try { await startDevChain({ port: 8545 }) } catch (e) { if (e instanceof DevChainError) console.error(e.message) }
 */
export class DevChainError extends Error {
  override name = 'DevChainError' as const
}

// Anvil is a child process; if the host ends without calling stop() it must not outlive it.
// One set of listeners for all chains, so starting many chains does not trip MaxListeners.
const running = new Set<ChildProcess>()
let exitHooksInstalled = false
function killAll(): void {
  for (const c of running) c.kill('SIGKILL')
}
/** Kills `child` when this process exits or is signalled, if `stop()` was never called. */
export function trackChild(child: ChildProcess): void {
  running.add(child)
  child.once('exit', () => running.delete(child))
  if (exitHooksInstalled) return
  exitHooksInstalled = true
  process.on('exit', killAll)
  // A signal ends Node without 'exit' (e.g. a test runner killed by a timeout). Kill anvil, then, if
  // nobody else handles the signal, re-raise it so the host still dies the default way.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killAll()
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal)
        process.kill(process.pid, signal)
      }
    }
    process.on(signal, onSignal)
  }
}

const platformPackages: Record<string, string> = {
  'linux-x64': '@foundry-rs/anvil-linux-amd64',
  'linux-arm64': '@foundry-rs/anvil-linux-arm64',
  'darwin-x64': '@foundry-rs/anvil-darwin-amd64',
  'darwin-arm64': '@foundry-rs/anvil-darwin-arm64',
  'win32-x64': '@foundry-rs/anvil-win32-amd64',
}

/**
 * Path of the anvil binary shipped by the `@foundry-rs/anvil-<platform>` package that npm installed
 * as an optional dependency of `@foundry-rs/anvil`. Throws {@link DevChainError} if it is missing.
 *
 * @example
 * resolveAnvilBinary() // '/…/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil'
 */
export function resolveAnvilBinary(): string {
  const platform = `${process.platform}-${process.arch}`
  const pkg = platformPackages[platform]
  if (pkg === undefined) {
    throw new DevChainError(`anvil has no npm binary for ${platform}: install foundry (https://getfoundry.sh) and put anvil on PATH`)
  }
  // The CJS build gets `import.meta.url` from tsup's shim.
  const require = createRequire(import.meta.url)
  let pkgJson: string
  try {
    pkgJson = require.resolve(`${pkg}/package.json`)
  } catch {
    throw new DevChainError(`anvil binary not found (${pkg} is not installed): run npm ci without --omit=optional, or npm i -D @foundry-rs/anvil`)
  }
  const bin = join(dirname(pkgJson), 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil')
  if (!existsSync(bin)) throw new DevChainError(`anvil binary not found at ${bin}: reinstall with npm ci`)
  return bin
}

/** A TCP port on 127.0.0.1 that was free a moment ago: the system's pick for port 0. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('the system gave no port'))))
    })
  })
}

async function call(rpcUrl: string, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  })
  return ((await res.json()) as { result?: unknown }).result
}

async function answersChainId(rpcUrl: string): Promise<number | undefined> {
  try {
    const result = await call(rpcUrl, 'eth_chainId')
    return typeof result === 'string' ? Number(result) : undefined
  } catch {
    return undefined
  }
}

// Init code that returns `block.timestamp` (TIMESTAMP PUSH0 MSTORE PUSH1 32 PUSH0 RETURN).
const readTimestamp = '0x425f5260205ff3'

/**
 * Anvil dates blocks by the system clock plus an offset in whole seconds, taken at start; a start
 * that straddles a second boundary can leave it at -1 (measured: about one start in 60), and every
 * block is then dated a second behind the system clock. Wallets date a session's `validAfter` by that
 * clock (Openfort's SDK does), so its first call would fail "not valid yet". The pending block's
 * timestamp shows the offset without mining; a behind chain gets one block dated at the current
 * whole second, which moves the offset to 0. Never ahead: an app that reads "now" from the chain
 * (a permission's start) would then be a second ahead of its own clock.
 *
 * @example
 * await keepUpWithSystemClock(chain.rpcUrl) // startDevChain does it before it resolves
 */
export async function keepUpWithSystemClock(rpcUrl: string): Promise<void> {
  // A block mined in a later second than it was dated (a loaded machine) leaves the offset behind
  // again: look once more.
  for (let tries = 0; tries < 3; tries++) {
    const pending = Number(await call(rpcUrl, 'eth_call', [{ data: readTimestamp }, 'pending']))
    // Read after the answer: a pending timestamp no older than the clock then proves the offset is not negative.
    let now = Date.now()
    if (pending >= Math.floor(now / 1000)) return
    // Near a second's end, wait for the next one, so the block is mined within the second it is dated.
    if (now % 1000 > 800) {
      await new Promise((resolve) => setTimeout(resolve, 1020 - (now % 1000)))
      now = Date.now()
    }
    await call(rpcUrl, 'evm_setNextBlockTimestamp', [Math.floor(now / 1000)])
    await call(rpcUrl, 'evm_mine')
  }
}

/**
 * Ends `child` (SIGTERM, SIGKILL after `graceMs`) and resolves once it has exited. Safe to call twice.
 *
 * @example
 * const stop = () => stopChild(child, 2000)
 */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    // Hold the event loop open until the process is really gone, so `await stop()` means "no process".
    child.ref()
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await waitForExit(child)
    clearTimeout(timer)
  }
  running.delete(child)
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

type Attempt = { kind: 'ready'; chain: DevChain } | { kind: 'addressInUse' }

async function attempt(bin: string, port: number, options: StartDevChainOptions): Promise<Attempt> {
  const chainId = options.chainId ?? 31337
  const args = ['--host', '127.0.0.1', '--port', String(port), '--chain-id', String(chainId)]
  if (options.blockTime !== undefined) args.push('--block-time', String(options.blockTime))

  // Readiness is anvil's own "Listening on" line, not just an answer on the port: if the port was
  // taken, another node there could answer eth_chainId before this anvil fails to bind. That needs
  // stdout (--quiet silences the line too), so it is drained for the life of the process, or the
  // pipe would fill and stall anvil.
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  trackChild(child)
  // The 'exit' hook, not an open pipe, is what ends anvil if the host forgets stop(): let the host exit.
  child.unref()
  for (const stream of [child.stdout, child.stderr]) (stream as (typeof stream & { unref?: () => void }) | null)?.unref?.()
  let listening = false
  let stdout = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    if (listening) return
    stdout = (stdout + chunk).slice(-2000)
    listening = stdout.includes(`Listening on 127.0.0.1:${port}`)
  })
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-2000)
  })
  let spawnError: Error | undefined
  child.once('error', (e) => {
    spawnError = e
  })

  const rpcUrl = `http://127.0.0.1:${port}`
  const stop = () => stopChild(child, 2000)

  const deadline = Date.now() + (options.timeoutMs ?? 10_000)
  while (Date.now() < deadline) {
    if (spawnError !== undefined) {
      throw new DevChainError(`anvil could not be started (${bin}): ${spawnError.message}`)
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      if (/address already in use/i.test(stderr + stdout)) return { kind: 'addressInUse' }
      throw new DevChainError(`anvil exited (code ${child.exitCode ?? child.signalCode}) before answering: ${(stderr || stdout).trim() || 'no output'}`)
    }
    if (listening && (await answersChainId(rpcUrl)) === chainId) {
      if (child.pid === undefined) throw new DevChainError('anvil started without a pid')
      await keepUpWithSystemClock(rpcUrl)
      return { kind: 'ready', chain: { rpcUrl, chainId, pid: child.pid, stop } }
    }
    await new Promise((r) => setTimeout(r, 10))
  }
  await stop()
  throw new DevChainError(`anvil did not answer eth_chainId on ${rpcUrl} within ${options.timeoutMs ?? 10_000} ms: ${stderr.trim() || 'no output'}`)
}

/**
 * Starts a local anvil chain on 127.0.0.1, for local development and tests (not for production).
 *
 * Resolves once the chain answers `eth_chainId`. Without `port`, the OS picks a free one (retried
 * if another process takes it first). Anvil is also killed when the Node process exits.
 *
 * @example
 * import { createPublicClient, http } from 'viem'
 * import { startDevChain } from 'keyleash/devwallet'
 *
 * const chain = await startDevChain()
 * const client = createPublicClient({ transport: http(chain.rpcUrl) })
 * await client.getChainId() // 31337
 * await chain.stop()
 */
export async function startDevChain(options: StartDevChainOptions = {}): Promise<DevChain> {
  const bin = resolveAnvilBinary()
  const tries = options.port === undefined ? 5 : 1
  for (let i = 0; i < tries; i++) {
    const port = options.port ?? (await freePort())
    const result = await attempt(bin, port, options)
    if (result.kind === 'ready') return result.chain
  }
  throw new DevChainError(
    options.port === undefined
      ? `anvil could not bind a free port after ${tries} tries: check what is taking ports on 127.0.0.1`
      : `port ${options.port} on 127.0.0.1 is already in use: pass another port, or none to let the OS choose`,
  )
}
