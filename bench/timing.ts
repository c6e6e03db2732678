/**
 * The one way the benches time things, so that every figure is honest on a machine shared with
 * other work: CPU time beside wall time, load printed with the figures, comparisons paired and
 * taken in turns (the order rotating each round, so neither side always runs first, on the
 * warmer or the colder cache), and a ratio reported as the median of per-round ratios with its
 * spread (p25–p75), never as a ratio of two averages taken at different moments.
 *
 * To adopt it in a new bench file:
 * ```ts
 * import { compare, describeComparison, describeThroughput, printLoad, throughput } from './timing.js'
 * printLoad('my bench')
 * const paired = await compare({ floor: { name: 'direct', run: direct }, subject: { name: 'keyleash', run: viaKeyleash } })
 * console.log(describeComparison(paired, 1.03))
 * const rate = await throughput(grant, { operations: 10_000 })
 * console.log(describeThroughput('grants', rate))
 * ```
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpus, loadavg } from 'node:os'
import { verdict } from './instantWallet.js'

/** The median and quartiles of a set of samples. */
export type Spread = { median: number; p25: number; p75: number; samples: number }

/** A side of a comparison: something to run, one operation per call. */
export type Side = { name: string; run: () => unknown }

/** Wall and CPU time of one side, per operation, in µs (medians over the rounds). */
export type PerOperation = { wall: number; cpu: number }

/** What {@link compare} measured: the per-round ratios subject / floor, and each side's own times. */
export type Comparison = {
  floor: Side & PerOperation
  subject: Side & PerOperation
  /** subject / floor, per round, in wall time. */
  wall: Spread
  /** subject / floor, per round, in CPU time (every thread of the process: GC helpers included). */
  cpu: Spread
  /** What the subject adds to an operation, subject − floor per round, in µs of wall and of CPU time. */
  added: { wall: Spread; cpu: Spread }
  rounds: number
  batch: number
}

/** Operations over time: total operations over total time, garbage collection included. */
export type Throughput = {
  operations: number
  /** Operations per second of wall time, and of CPU time. */
  wall: number
  cpu: number
  /** Per block of `block` operations, operations per second of CPU time: how steady it was. */
  blocks: Spread
  /** Each block's operations per CPU second, beside the {@link machineSpeed} measured right before it. */
  perBlock: { rate: number; speed: number }[]
}

/**
 * The quartiles of `samples` (sorted in place), by linear interpolation.
 *
 * @example
 * spread([3, 1, 2, 4]).median // 2.5
 */
export function spread(samples: number[]): Spread {
  samples.sort((a, b) => a - b)
  const at = (q: number) => {
    if (samples.length === 0) return Number.NaN
    const position = (samples.length - 1) * q
    const low = Math.floor(position)
    const high = Math.min(low + 1, samples.length - 1)
    return (samples[low] as number) + ((samples[high] as number) - (samples[low] as number)) * (position - low)
  }
  return { median: at(0.5), p25: at(0.25), p75: at(0.75), samples: samples.length }
}

/** CPU time this process has used so far, in µs (user + system, every thread). */
export function cpuNow(): number {
  const { user, system } = process.cpuUsage()
  return user + system
}

// The reference task: a fixed 2 kB JSON text parsed and hashed, what the benches' subjects
// spend their time on (objects made and dropped, native code called).
const referenceText = JSON.stringify({ calls: Array.from({ length: 50 }, (_, index) => ({ index, data: 'x'.repeat(10) })) })
const referenceRuns = 60

/**
 * How fast this machine runs right now: runs of one fixed task (a 2 kB JSON text parsed and
 * hashed) per millisecond of CPU time, measured in about 2 ms. The machine the benches run on
 * is a shared VM whose speed on this very task moves between two levels about 1.8× apart, for
 * seconds to minutes at a time, whatever this process does; a subject's speed moves with it
 * (grants a second: r = 0.63 against it, block by block). So an absolute figure (grants a
 * second, ms to list) is printed beside it; a ratio of paired rounds is not moved by it.
 *
 * @example
 * machineSpeed() // e.g. 31.2 at the slower level, 55.0 at the faster one
 */
export function machineSpeed(): number {
  // A few runs untimed first: the first of a process, or after a subject has filled the caches, ran slower.
  referenceTask(referenceRuns / 6)
  const start = cpuNow()
  referenceTask(referenceRuns)
  return referenceRuns / ((cpuNow() - start) / 1000)
}

function referenceTask(runs: number): void {
  for (let i = 0; i < runs; i++) {
    JSON.parse(referenceText)
    createHash('sha256').update(referenceText).digest()
  }
}

/** The machine's load as a line: 1, 5 and 15 minute averages against its cores, and its speed now ({@link machineSpeed}). */
export function loadLine(): string {
  const [one, five, fifteen] = loadavg().map((load) => load.toFixed(2))
  return `load average ${one} / ${five} / ${fifteen} (1 / 5 / 15 min) on ${cpus().length} cores; machine speed ${machineSpeed().toFixed(1)} (reference task runs a CPU ms)`
}

/** Prints the machine's load under a heading, so each figure is read with the noise it was taken in. */
export function printLoad(heading: string): void {
  console.log(`[${heading}] ${loadLine()}`)
}

/** Runs `run` `count` times, one after another, awaiting each result that is a promise. */
async function repeat(run: () => unknown, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const result = run()
    if (result instanceof Promise) await result
  }
}

/** Wall and CPU time, in µs, of `count` runs back to back. */
async function timeBatch(run: () => unknown, count: number): Promise<PerOperation> {
  const cpu = cpuNow()
  const wall = performance.now()
  await repeat(run, count)
  return { wall: (performance.now() - wall) * 1000, cpu: cpuNow() - cpu }
}

/**
 * A paired comparison: each round runs a batch of the floor and a batch of the subject, the
 * order rotating (floor first in even rounds, subject first in odd ones); per round, the ratio
 * subject / floor in wall and in CPU time, and the time the subject adds to an operation. A batch of several operations, so that reading the
 * clocks (a system call for CPU time) is a small part of what is timed; the first `warmup`
 * rounds are run and left out.
 *
 * @example
 * const paired = await compare({ floor: { name: 'viem', run: () => sign() }, subject: { name: 'keyleash', run: () => send() } })
 * paired.cpu.median // e.g. 1.02
 */
export async function compare({ floor, subject, rounds = 400, batch = 25, warmup = 40 }: { floor: Side; subject: Side; rounds?: number; batch?: number; warmup?: number }): Promise<Comparison> {
  const wallRatios: number[] = []
  const cpuRatios: number[] = []
  const added = { wall: [] as number[], cpu: [] as number[] }
  const times = { floor: { wall: [] as number[], cpu: [] as number[] }, subject: { wall: [] as number[], cpu: [] as number[] } }
  for (let round = 0; round < warmup + rounds; round++) {
    let floorTime: PerOperation
    let subjectTime: PerOperation
    if (round % 2 === 0) {
      floorTime = await timeBatch(floor.run, batch)
      subjectTime = await timeBatch(subject.run, batch)
    } else {
      subjectTime = await timeBatch(subject.run, batch)
      floorTime = await timeBatch(floor.run, batch)
    }
    if (round < warmup) continue
    wallRatios.push(subjectTime.wall / floorTime.wall)
    // A round whose floor took no measurable CPU (the clock's grain) has no ratio.
    if (floorTime.cpu > 0) cpuRatios.push(subjectTime.cpu / floorTime.cpu)
    added.wall.push((subjectTime.wall - floorTime.wall) / batch)
    added.cpu.push((subjectTime.cpu - floorTime.cpu) / batch)
    times.floor.wall.push(floorTime.wall / batch)
    times.floor.cpu.push(floorTime.cpu / batch)
    times.subject.wall.push(subjectTime.wall / batch)
    times.subject.cpu.push(subjectTime.cpu / batch)
  }
  const per = (side: { wall: number[]; cpu: number[] }) => ({ wall: spread(side.wall).median, cpu: spread(side.cpu).median })
  return {
    floor: { ...floor, ...per(times.floor) },
    subject: { ...subject, ...per(times.subject) },
    wall: spread(wallRatios),
    cpu: spread(cpuRatios),
    added: { wall: spread(added.wall), cpu: spread(added.cpu) },
    rounds,
    batch,
  }
}

/** `1.021× (p25–p75 1.010–1.034)`: a ratio with its spread. */
export function formatRatio(ratio: Spread): string {
  return `${ratio.median.toFixed(3)}× (p25–p75 ${ratio.p25.toFixed(3)}–${ratio.p75.toFixed(3)})`
}

/**
 * A comparison as lines: each side's median time per operation, then the ratios in CPU and in
 * wall time; the target, when given, is read on the CPU ratio (what the user's machine pays,
 * whatever else runs beside).
 *
 * @example
 * console.log(describeComparison(await compare({ floor, subject }), 1.03))
 */
export function describeComparison(comparison: Comparison, target?: number): string {
  const { floor, subject, rounds, batch } = comparison
  const side = (s: Side & PerOperation) => `${s.name} ${s.wall.toFixed(2)} µs wall, ${s.cpu.toFixed(2)} µs CPU`
  const met = target === undefined ? '' : `; target ≤ ${target}× (CPU): ${verdict(comparison.cpu.median <= target)}`
  return [
    `${subject.name} / ${floor.name}: median of ${rounds.toLocaleString('en')} rounds' ratios (batches of ${batch}, order rotating)`,
    `  CPU  ${formatRatio(comparison.cpu)}${met}`,
    `  wall ${formatRatio(comparison.wall)}`,
    `  per operation (medians): ${side(subject)}; ${side(floor)}`,
  ].join('\n')
}

/**
 * Throughput as a user's process sees it: `operations` runs back to back, and total operations
 * over total time, wall and CPU, whatever garbage collection falls in the window (none is
 * forced or moved out). Also per block of `block` operations, to show how steady it was, each
 * beside the {@link machineSpeed} taken right before it (outside the timed window).
 *
 * @example
 * const rate = await throughput(() => provider.request(grant), { operations: 20_000 })
 * rate.cpu // grants per CPU second
 */
export async function throughput(run: () => unknown, { operations, block = 1000 }: { operations: number; block?: number }): Promise<Throughput> {
  const perBlock: Throughput['perBlock'] = []
  let wall = 0
  let cpu = 0
  for (let done = 0; done < operations; done += block) {
    const count = Math.min(block, operations - done)
    const speed = machineSpeed()
    const time = await timeBatch(run, count)
    wall += time.wall
    cpu += time.cpu
    perBlock.push({ rate: count / (time.cpu / 1e6), speed })
  }
  return { operations, wall: operations / (wall / 1e6), cpu: operations / (cpu / 1e6), blocks: spread(perBlock.map((b) => b.rate)), perBlock }
}

/**
 * The blocks of several runs of {@link throughput} pooled and split by the machine's speed
 * taken before each: the quarter run when the machine was fastest, against all of them, each
 * as operations per CPU second with its spread, beside the speeds that bound the quarter.
 *
 * @example
 * const { fastest, all, from } = bySpeed(rates)
 * fastest.median // grants per CPU second while the machine ran at its fastest
 */
export function bySpeed(runs: Throughput[]): { all: Spread; fastest: Spread; from: number; to: number; speeds: Spread } {
  const blocks = runs.flatMap((run) => run.perBlock).sort((a, b) => b.speed - a.speed)
  const quarter = blocks.slice(0, Math.max(1, Math.floor(blocks.length / 4)))
  return {
    all: spread(blocks.map((b) => b.rate)),
    fastest: spread(quarter.map((b) => b.rate)),
    from: quarter.at(-1)?.speed ?? Number.NaN,
    to: quarter[0]?.speed ?? Number.NaN,
    speeds: spread(blocks.map((b) => b.speed)),
  }
}

/** `12,345/s CPU (blocks p25–p75 …), 11,000/s wall`: a throughput as one line. */
export function describeThroughput(name: string, rate: Throughput): string {
  const round = (n: number) => Math.round(n).toLocaleString('en')
  return `${name}: ${round(rate.cpu)}/s CPU, ${round(rate.wall)}/s wall over ${rate.operations.toLocaleString('en')} operations (blocks: median ${round(rate.blocks.median)}/s CPU, p25–p75 ${round(rate.blocks.p25)}–${round(rate.blocks.p75)})`
}

/**
 * Runs this bench file again in `processes` fresh Node processes, one after another, with
 * `flag` set to `value` in their environment, and returns what each wrote on stdout, as JSON.
 * For a figure that moves from one process to the next (where the JIT and the heap settle): a
 * median over processes, with its spread, says what one process's figure cannot.
 *
 * @example
 * if (process.env.MY_FLAG) process.stdout.write(JSON.stringify(await measure()))
 * else console.log(spread(inFreshProcesses<number>('MY_FLAG', 'steady', 5)))
 */
export function inFreshProcesses<result>(flag: string, value: string, processes: number): result[] {
  return Array.from({ length: processes }, () => {
    const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1] as string], { env: { ...process.env, [flag]: value }, encoding: 'utf8' })
    if (child.status !== 0) throw new Error(`${process.argv[1]}: a fresh process failed: ${child.stderr}`)
    return JSON.parse(child.stdout) as result
  })
}
