// sabaki.test.js: drives `videogo gtp` through @sabaki/gtp (the controller library
// Sabaki uses) the way Sabaki does: pipelined start-up commands, a sync that sends
// komi/boardsize/clear_board and a whole game of `play` commands at once (setup stones
// out of alternation included), genmove, undo, analysis started with `lz-analyze B 10`
// (and kata-analyze) and stopped by sending `protocol_version`, the genmove_analyze
// form, and quit. Exits 0 on success, 1 on failure, 77 (skip) when node_modules is
// missing (run `npm ci` in tests/sabaki).
'use strict'

const assert = require('assert')
const path = require('path')

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
    return {move: kv.move, visits: +kv.visits, winrate: +kv.winrate, pv}
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

async function main() {
  const controller = new gtp.Controller(bin, ['gtp', '--seed', '7'])
  const stderr = []
  controller.on('stderr', ({content}) => stderr.push(content))
  controller.start()
  const send = (name, ...args) => controller.sendCommand({name, args})

  // 1. start-up, pipelined like Sabaki
  const [name, version, protocol, list] = await withTimeout(
    Promise.all(['name', 'version', 'protocol_version', 'list_commands'].map(n => send(n))),
    10000,
    'start-up commands'
  )
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

main().then(
  () => process.exit(0),
  err => {
    console.error(err && err.stack ? err.stack : err)
    process.exit(1)
  }
)
