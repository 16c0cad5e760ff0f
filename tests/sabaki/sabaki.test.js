// sabaki.test.js: drives `videogo gtp` through @sabaki/gtp (the controller library
// Sabaki uses) the way Sabaki does: pipelined start-up commands, a sync that sends
// komi/boardsize/clear_board and a whole game of `play` commands at once (setup stones
// out of alternation included), genmove, undo, analysis started with `lz-analyze B 10`
// (and kata-analyze) and stopped by sending `protocol_version`, the genmove_analyze
// form, and quit. Exits 0 on success, 1 on failure, 77 (skip) when node_modules is
// missing (run `npm ci` in tests/sabaki).
//
// Then the same for the learned player (`videogo gtp --weights-dir DIR`) on TINY random
// networks written by the make_tiny_policy program given as the first argument (meson
// passes it): pipelined start-up, a replay of `play` commands sent at once, genmove for both
// colours, kata-analyze / lz-analyze streams stopped by protocol_version (priors sorted, sum
// <= 1, no occupied point), the genmove_analyze form, the GoGui views (gogui-analyze_commands,
// the imagined next position as gfx, the imagined frames as PNG files). When the shipped
// weights exist (weights/ar-9x9.gguf ...) a shorter session runs on them too; otherwise that
// part is skipped with a message.
'use strict'

const assert = require('assert')
const fs = require('fs')
const os = require('os')
const path = require('path')
const {execFileSync} = require('child_process')

let gtp
try {
  gtp = require(path.join(__dirname, 'node_modules', '@sabaki', 'gtp'))
} catch (err) {
  console.log('@sabaki/gtp not installed (run `npm ci` in tests/sabaki): skipping')
  process.exit(77)
}

const bin = process.env.VIDEOGO_BIN
if (!bin) {
  console.error('VIDEOGO_BIN not set (run through meson test)')
  process.exit(1)
}

const VERTEX = /^([A-HJ-T]([1-9]|1[0-9])|pass)$/

function withTimeout(promise, ms, what) {
  let timer
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timeout: ${what}`)), ms)
    })
  ]).finally(() => clearTimeout(timer))
}

// Parses one analysis line the way Sabaki's analysis.js does: segments split on
// `info`, key/value pairs before `pv`, the PV (vertices) last.
function parseInfoLine(line, floatWinrate) {
  assert.ok(line.startsWith('info '), `not an info line: ${line}`)
  const segments = line
    .split(/\s*info\s+/)
    .slice(1)
    .map(s => s.trim())
  assert.ok(segments.length > 0)
  return segments.map(seg => {
    const tokens = seg.split(/\s+/)
    const pvIndex = tokens.indexOf('pv')
    assert.ok(pvIndex > 0, `no pv in segment: ${seg}`)
    const pv = tokens.slice(pvIndex + 1)
    assert.ok(pv.length >= 1 && pv.every(v => VERTEX.test(v)), `bad pv: ${seg}`)
    const kv = {}
    for (let i = 0; i + 1 < pvIndex; i += 2) kv[tokens[i]] = tokens[i + 1]
    assert.ok(VERTEX.test(kv.move), `bad move in ${seg}`)
    assert.ok(+kv.visits >= 1, `bad visits in ${seg}`)
    if (floatWinrate) {
      assert.ok(kv.winrate.includes('.'), `kata winrate without a decimal point: ${seg}`)
      assert.ok(+kv.winrate >= 0 && +kv.winrate <= 1)
    } else {
      assert.ok(/^\d+$/.test(kv.winrate), `lz winrate not an integer: ${seg}`)
      assert.ok(+kv.winrate >= 0 && +kv.winrate <= 10000)
    }
    return {move: kv.move, visits: +kv.visits, winrate: +kv.winrate, prior: +kv.prior, pv}
  })
}

// Starts an analysis command, waits for `want` info lines, then stops it the way
// Sabaki's EngineSyncer.sendAbort does: by sending protocol_version.
async function analyzeThenAbort(controller, name, args, want, floatWinrate) {
  const infos = []
  let reached
  const enough = new Promise(resolve => (reached = resolve))
  const analysis = controller.sendCommand({name, args}, ({line}) => {
    if (line.startsWith('info ')) {
      infos.push(parseInfoLine(line, floatWinrate))
      if (infos.length >= want) reached()
    }
  })
  await withTimeout(enough, 10000, `${name} info lines`)
  const abort = controller.sendCommand({name: 'protocol_version'})
  const response = await withTimeout(analysis, 5000, `${name} end`)
  assert.ok(!response.error, `${name} failed: ${response.content}`)
  const pv = await withTimeout(abort, 5000, 'protocol_version after analysis')
  assert.strictEqual(pv.content, '2')
  assert.ok(!pv.error)
  return infos
}

// Starts `videogo <args>` and sends Sabaki's start-up commands at once (pipelined); returns
// the controller, a send function, the engine's stderr lines and the four answers.
async function startEngine(args, ms, label) {
  const controller = new gtp.Controller(bin, args)
  const stderr = []
  controller.on('stderr', ({content}) => stderr.push(content))
  controller.start()
  const send = (name, ...a) => controller.sendCommand({name, args: a})
  const answers = await withTimeout(
    Promise.all(['name', 'version', 'protocol_version', 'list_commands'].map(n => send(n))),
    ms,
    `${label}start-up commands`
  )
  return {controller, send, stderr, answers}
}

async function randomSession() {
  // 1. start-up, pipelined like Sabaki
  const {controller, send, stderr, answers} = await startEngine(['gtp', '--player', 'random', '--seed', '7'], 10000, '')
  const [name, version, protocol, list] = answers
  assert.strictEqual(name.content, 'videogo')
  assert.ok(version.content.length > 0)
  assert.strictEqual(protocol.content, '2')
  const commands = list.content.split('\n')
  for (const c of ['undo', 'set_free_handicap', 'lz-analyze', 'kata-analyze', 'lz-genmove_analyze', 'kata-genmove_analyze'])
    assert.ok(commands.includes(c), `${c} not in list_commands`)
  // Sabaki picks the first of analyze, kata-analyze, lz-analyze: we do not offer a bare
  // `analyze` (its float/integer dialect is ambiguous across Sabaki versions).
  const chosen = ['analyze', 'kata-analyze', 'lz-analyze'].find(c => commands.includes(c))
  assert.strictEqual(chosen, 'kata-analyze')

  // 2. sync: komi first, then boardsize and clear_board, then the whole history at once;
  // AB stones go as set_free_handicap (listed), then moves, some out of alternation
  const sync = [
    send('komi', '7'),
    send('boardsize', '9'),
    send('clear_board'),
    send('set_free_handicap', 'C3', 'G7')
  ]
  const game = [
    ['W', 'E5'], ['B', 'C7'], ['W', 'G3'], ['B', 'D4'], ['B', 'F6'], ['W', 'pass'],
    ['W', 'D6'], ['B', 'E6'], ['W', 'D7'], ['B', 'C6'], ['W', 'E4'], ['B', 'D5']
  ]
  for (const [color, vertex] of game) sync.push(send('play', color, vertex))
  const synced = await withTimeout(Promise.all(sync), 10000, 'sync')
  synced.forEach((r, i) => assert.ok(!r.error, `sync command ${i} failed: ${r.content}`))
  const black = await send('list_stones', 'black')
  assert.deepStrictEqual(black.content.split(' ').sort(), ['C3', 'C6', 'C7', 'D4', 'D5', 'E6', 'F6', 'G7'])

  // 3. moves: genmove for either colour, illegal play refused, undo
  for (const color of ['B', 'W', 'W']) {
    const r = await send('genmove', color)
    assert.ok(!r.error && VERTEX.test(r.content), `genmove ${color}: ${r.content}`)
  }
  const bad = await send('play', 'B', 'E5')
  assert.ok(bad.error && bad.content === 'illegal move', `occupied point accepted: ${bad.content}`)
  for (let i = 0; i < 3; i++) assert.ok(!(await send('undo')).error)

  // 4. analysis as Sabaki runs it, aborted by protocol_version
  const lz = await analyzeThenAbort(controller, 'lz-analyze', ['B', '10'], 3, false)
  const occupied = new Set(black.content.split(' ').concat(['E5', 'G3', 'D6', 'D7', 'E4']))
  for (const segs of lz) {
    assert.ok(segs.length > 10, 'too few candidates')
    for (const s of segs) assert.ok(!occupied.has(s.move), `occupied point ${s.move} analysed`)
  }
  await analyzeThenAbort(controller, 'kata-analyze', ['W', '10'], 2, true)
  // the engine still answers normally afterwards, and the position is unchanged
  const again = await send('list_stones', 'black')
  assert.strictEqual(again.content, black.content)

  // 5. genmove_analyze as Sabaki's generateMove sends it: [color, interval]
  const lines = []
  const gma = await withTimeout(
    controller.sendCommand({name: 'lz-genmove_analyze', args: ['B', '10']}, ({line}) => lines.push(line)),
    10000,
    'lz-genmove_analyze'
  )
  assert.ok(!gma.error)
  const playLine = lines.filter(l => l.startsWith('play '))
  assert.strictEqual(playLine.length, 1)
  const move = playLine[0].slice(5).trim()
  assert.ok(VERTEX.test(move), `bad play line ${playLine[0]}`)
  lines.filter(l => l.startsWith('info ')).forEach(l => parseInfoLine(l, false))
  if (move !== 'pass') {
    const after = await send('list_stones', 'black')
    assert.ok(after.content.split(' ').includes(move), 'genmove_analyze did not play its move')
  }

  // 6. errors keep the framing intact
  const unknown = await send('frobnicate')
  assert.ok(unknown.error && unknown.content === 'unknown command')

  // 7. quit (Sabaki waits for the answer, then kills after 3 s)
  await withTimeout(controller.stop(3000), 5000, 'quit')
  assert.ok(!stderr.some(l => /error|assert/i.test(l)), `engine stderr: ${stderr.join('\n')}`)
  console.log(`ok: start-up, sync of ${game.length} plays, genmove, undo, ${lz.length} lz-analyze lines, kata-analyze, lz-genmove_analyze (${move}), quit`)
}

// The learned player from a weights folder, driven as Sabaki drives an engine.
// playouts 0: the networks' distribution alone; > 0: the tree search with it as prior (the
// default of `videogo gtp`), whose analysis lists visited moves, most visited first.
async function learnedSession(dir, label, full, playouts) {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'videogo-sabaki-'))
  const args = ['gtp', '--weights-dir', dir, '--rollouts', '2', '--seed', '7', '--playouts', String(playouts),
                '--output-dir', outDir]
  const {controller, send, stderr, answers} = await startEngine(args, 60000, `${label}: `)
  const [name, version, protocol, list] = answers
  assert.strictEqual(name.content, 'videogo')
  assert.ok(/player learned/.test(version.content), `${label}: version ${version.content}`)
  assert.strictEqual(protocol.content, '2')
  const commands = list.content.split('\n')
  for (const c of ['kata-analyze', 'lz-analyze', 'kata-genmove_analyze', 'videogo-imagine', 'videogo-imagine_frames'])
    assert.ok(commands.includes(c), `${label}: ${c} not in list_commands`)

  // replay: everything at once, as Sabaki syncs a game tree
  const sync = [send('komi', '7'), send('boardsize', '9'), send('clear_board')]
  const game = [['B', 'E5'], ['W', 'C3'], ['B', 'G7'], ['W', 'C7'], ['B', 'G3'], ['W', 'pass'], ['B', 'D4']]
  for (const [color, vertex] of game) sync.push(send('play', color, vertex))
  const synced = await withTimeout(Promise.all(sync), 10000, `${label}: sync`)
  synced.forEach((r, i) => assert.ok(!r.error, `${label}: sync command ${i} failed: ${r.content}`))
  const occupied = new Set(['E5', 'C3', 'G7', 'C7', 'G3', 'D4'])

  // analysis started, then stopped by protocol_version
  const kata = await analyzeThenAbort(controller, 'kata-analyze', ['W', '10'], 2, true)
  await analyzeThenAbort(controller, 'lz-analyze', ['W', '10'], 2, false)
  // the priors of one info line (kata: floats in [0, 1])
  const priors = kata[0]
  const sum = priors.reduce((a, p) => a + p.prior, 0)
  assert.ok(sum <= 1.0001 && sum > 0, `${label}: priors sum to ${sum}`)
  for (let i = 1; i < priors.length; i++) {
    if (playouts > 0) assert.ok(priors[i].visits <= priors[i - 1].visits, `${label}: visits unsorted`)
    else assert.ok(priors[i].prior <= priors[i - 1].prior + 1e-6, `${label}: priors unsorted`)
  }
  if (playouts > 0) {
    const visits = priors.reduce((a, p) => a + p.visits, 0)
    assert.ok(visits > 0 && visits <= playouts, `${label}: ${visits} visits for ${playouts} playouts`)
  }
  for (const p of priors) assert.ok(!occupied.has(p.move), `${label}: occupied ${p.move} analysed`)
  assert.ok(kata.length >= 2)

  // genmove for both colours, legal, then the position is as the engine says
  for (const color of ['W', 'B']) {
    const r = await withTimeout(send('genmove', color), 30000, `${label}: genmove ${color}`)
    assert.ok(!r.error && VERTEX.test(r.content), `${label}: genmove ${color}: ${r.content}`)
    if (r.content !== 'pass') {
      assert.ok(!occupied.has(r.content), `${label}: genmove on occupied ${r.content}`)
      occupied.add(r.content)
    }
  }

  if (full) {
    // genmove_analyze as Sabaki sends it
    const gl = []
    const gma = await withTimeout(
      controller.sendCommand({name: 'kata-genmove_analyze', args: ['W', '10']}, ({line}) => gl.push(line)),
      30000,
      `${label}: kata-genmove_analyze`
    )
    assert.ok(!gma.error)
    assert.strictEqual(gl.filter(l => l.startsWith('play ')).length, 1)
    gl.filter(l => l.startsWith('info ')).forEach(l => parseInfoLine(l, true))

    // GoGui views: the imagined next position (gfx) and the frames as PNG
    const views = await send('gogui-analyze_commands')
    assert.ok(views.content.includes('gfx/Imagined next position/videogo-imagine %m'), views.content)
    const gfx = await withTimeout(send('videogo-imagine'), 30000, `${label}: videogo-imagine`)
    assert.ok(!gfx.error, gfx.content)
    const glines = gfx.content.split('\n')
    assert.ok(glines[0].startsWith('BLACK') && glines.some(l => l.startsWith('TEXT imagined')), gfx.content)
    const prefix = path.join(outDir, 'im') // GoGui passes an absolute file name
    const png = await withTimeout(send('videogo-imagine_frames', prefix + '.png'), 30000, `${label}: frames`)
    assert.ok(!png.error, png.content)
    for (const f of png.content.split('\n')) {
      const head = fs.readFileSync(f).subarray(0, 8)
      assert.ok(head.equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), `${f} is not a PNG`)
    }
    const outside = await send('videogo-imagine_frames', path.join(os.tmpdir(), 'videogo-outside'))
    assert.ok(outside.error && /outside the output folder/.test(outside.content), outside.content)
  }
  fs.rmSync(outDir, {recursive: true, force: true})

  await withTimeout(controller.stop(3000), 5000, `${label}: quit`)
  assert.ok(!stderr.some(l => /error|assert|illegal/i.test(l)), `${label}: engine stderr: ${stderr.join('\n')}`)
  console.log(`ok: learned player (${label}, --playouts ${playouts}): start-up, replay, kata/lz-analyze, genmove B and W${full ? ', genmove_analyze, imagined gfx and PNG' : ''}, quit`)
}

async function main() {
  await randomSession()
  const tool = process.argv[2]
  if (tool && fs.existsSync(tool)) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'videogo-tiny-'))
    try {
      execFileSync(tool, [dir, '5', '1'])
      await learnedSession(dir, 'tiny random networks', true, 0)
      await learnedSession(dir, 'tiny random networks + search', false, 500)
    } finally {
      fs.rmSync(dir, {recursive: true, force: true})
    }
  } else {
    console.log('learned player with tiny networks: skipped (no make_tiny_policy argument)')
  }
  const shipped = path.join(process.env.VIDEOGO_SRC || path.join(__dirname, '..', '..'), 'weights')
  if (['tokenizer-9x9.gguf', 'ar-9x9.gguf', 'idm-9x9.gguf'].every(f => fs.existsSync(path.join(shipped, f))))
    await learnedSession(shipped, 'shipped weights + search', false, 2000)
  else console.log(`learned player with the shipped weights: skipped (not all of ${shipped}/{tokenizer,ar,idm}-9x9.gguf exist yet)`)
}

main().then(
  () => process.exit(0),
  err => {
    console.error(err && err.stack ? err.stack : err)
    process.exit(1)
  }
)
