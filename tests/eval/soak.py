#!/usr/bin/env python3
"""soak.py: crash and memory soak of videogo (issue 21), two phases in one run.

1. kill -9: a 9x9 `videogo match` (--threads 2) is started in its own process group and that
   group is sent SIGKILL at seeded random moments, then restarted with the same command, until
   a run finishes the match. A kill lands either a random time into a run (start-up, database
   open, the resume scan) or a random time into a game after a random number of further games
   were committed. After every kill: the match's engines died with it (PR_SET_PDEATHSIG),
   `PRAGMA integrity_check` says ok, no game index is stored twice, and every game stored before
   is still there unchanged. At the end: the last run exits 0 and says "N of N games recorded",
   one match row, game indexes exactly 0..N-1, a rerun plays nothing, and every game exported
   with `videogo match export --sgf-dir` replays under `videogo sgf check` with the stored
   number of moves.
2. memory: one `videogo gtp` process (the learned player on tiny random networks written by
   make_tiny_policy with a small --playouts, or the random player without it) is driven through
   cycles of genmove, genmove, undo and lz-analyze / kata-analyze (each stream stopped by the
   next command), with clear_board every 40 cycles. VmRSS is read from /proc/PID/status after
   every cycle; the run fails if it grows by more than --rss-bound-kb from the end of the
   warm-up to the last cycle.

The videogo binary is copied into the work folder first (a rebuild during a long soak does not
swap it). The seed is printed; with it the kill schedule is repeated (where a kill lands inside a
game still depends on timing). The work folder is removed on success, kept (and named) on failure.
tests/meson.build runs a short version (test eval-soak); dev/soak.sh a long one.
"""
import argparse
import hashlib
import os
import random
import re
import select
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time


class SoakError(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise SoakError(msg)


def log(msg):
    print(msg, flush=True)


# ---- phase 1: kill -9 and resume ----

PROGRESS = re.compile(rb"^match \d+: game (\d+)/(\d+) \(index \d+.*?, \d+ moves, ([0-9.]+) s \|", re.M)


def progress(path):
    """(games done, mean game seconds or None) from a run's stderr log."""
    try:
        with open(path, "rb") as f:
            text = f.read()
    except OSError:
        return 0, None
    found = PROGRESS.findall(text)
    if not found:
        return 0, None
    secs = [float(s) for _, _, s in found]
    return int(found[-1][0]), sum(secs) / len(secs)


def proc_start_time(pid):
    """Field 22 of /proc/PID/stat (start time), None if gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] == "Z" else fields[19]


def children(pid):
    """{child pid: start time} of every thread of pid; None where the kernel does not list them."""
    out, listed = {}, False
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return {}
    for t in tasks:
        try:
            with open(f"/proc/{pid}/task/{t}/children") as f:
                listed = True
                for c in f.read().split():
                    st = proc_start_time(int(c))
                    if st is not None:
                        out[int(c)] = st
        except OSError:
            pass
    return out if listed else None


def snapshot(db_path):
    """Checks a database left by a killed run; returns {game_index: (id, sgf sha1, moves, result)}."""
    if not os.path.exists(db_path):
        return {}
    con = sqlite3.connect(db_path, timeout=30)
    try:
        ic = [r[0] for r in con.execute("PRAGMA integrity_check")]
        check(ic == ["ok"], f"PRAGMA integrity_check: {ic[:5]}")
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "games" not in tables:
            return {}  # killed before the schema was committed
        rows = con.execute("SELECT id, match_id, game_index, sgf, moves, result FROM games").fetchall()
        nmatch = con.execute("SELECT COUNT(*) FROM matches").fetchone()[0]
    finally:
        con.close()
    check(nmatch <= 1, f"{nmatch} match rows: a resume started a new match")
    games = {}
    for gid, mid, idx, sgf, moves, result in rows:
        check(idx not in games, f"game index {idx} stored twice")
        games[idx] = (gid, hashlib.sha1(sgf.encode()).hexdigest(), moves, result)
    return games


def keeps(before, after, when):
    for idx, row in before.items():
        check(idx in after, f"{when}: game {idx} was recorded, now it is gone")
        check(after[idx] == row, f"{when}: game {idx} changed: {row} -> {after[idx]}")


def engine_cmd(args, who, seed_prefix):
    v = shlex.quote(args.videogo)
    if who == "learned":
        return (f"{v} gtp --weights-dir {shlex.quote(args.tiny_dir)} --playouts {args.playouts} --rollouts 2 "
                f"--seed {seed_prefix}{{game}}")
    return f"{v} gtp --player random --seed {seed_prefix}{{game}}"


def kill_phase(args, rng, work):
    db = os.path.join(work, "soak.db")
    cmd = [args.videogo, "match", "--black", engine_cmd(args, "random", ""),
           "--white", engine_cmd(args, args.white, "1"), "--games", str(args.games), "--size", "9",
           "--komi", "7", "--threads", str(args.threads), "--db", db]
    log(f"soak: match of {args.games} games, random vs {args.white}, --threads {args.threads}, "
        f"{args.kills} kills planned")
    # round(kills x --early) of the kills come a random time into a run, the others a random time
    # into a game after at least one more game was committed; their order is random.
    kinds = ["early"] * round(args.kills * args.early)
    kinds += ["mid-game"] * (args.kills - len(kinds))
    rng.shuffle(kinds)
    kept = {}
    kills = early = late = 0
    runs = 0
    orphan_checks = 0
    t_begin = time.monotonic()
    game_s = 0.2  # a game's wall time until the logs say
    while True:
        runs += 1
        out_path = os.path.join(work, f"run{runs}.out")
        err_path = os.path.join(work, f"run{runs}.err")
        done_before = len(kept)
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            p = subprocess.Popen(cmd, stdout=out, stderr=err, start_new_session=True)
        t0 = time.monotonic()
        kill_at = None
        target = None
        if kills < args.kills:
            # Mid-game kills are spread over the games left; each comes after a commit that leaves
            # more games than threads to play, so it lands inside one whatever the timing.
            left = args.games - done_before
            last_target = args.games - 1 - args.threads
            how = kinds[kills]
            if how == "early" or last_target <= done_before:
                kill_at = t0 + rng.uniform(0, min(0.3, 0.5 * left * game_s / args.threads))
                how = "early"
            else:
                span = max(1.0, left / (args.kills - kills + 1))
                target = min(last_target, done_before + rng.randint(1, max(1, round(2 * span) - 1)))
                extra = rng.uniform(0, game_s)
                how = "mid-game"
        killed = False
        try:
            while p.poll() is None:
                now = time.monotonic()
                check(now - t_begin < args.deadline, f"the match did not finish in {args.deadline:g} s")
                if target is not None and kill_at is None:
                    done, mean = progress(err_path)
                    if mean:
                        game_s = mean
                    if done >= target:
                        kill_at = now + extra
                if kill_at is not None and now >= kill_at:
                    kids = children(p.pid)
                    at, at_games = now - t0, max(done_before, progress(err_path)[0])
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
                    killed = True
                    break
                time.sleep(0.005)
        finally:  # a failure or SIGTERM here leaves no match running (it has its own session)
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        if not killed:
            if p.returncode == -signal.SIGKILL:
                raise SoakError(f"run {runs} died of SIGKILL that we did not send")
            check(p.returncode == 0, f"run {runs} exited with {p.returncode}: {open(err_path).read()[-2000:]}")
            break
        check(p.returncode == -signal.SIGKILL, f"run {runs}: exit status {p.returncode} after SIGKILL")
        kills += 1
        if how == "early":
            early += 1
        else:
            late += 1
        # The engines die with the match (PR_SET_PDEATHSIG), in their own process groups.
        if kids is not None:
            orphan_checks += len(kids)
            deadline = time.monotonic() + 5
            alive = kids
            while alive and time.monotonic() < deadline:
                alive = {c: s for c, s in alive.items() if proc_start_time(c) == s}
                time.sleep(0.01)
            check(not alive, f"kill {kills}: engine processes {sorted(alive)} outlived the match")
        now_games = snapshot(db)
        keeps(kept, now_games, f"after kill {kills}")
        n = len(kids or {})
        log(f"  kill {kills}: run {runs}, {at:.2f} s in ({how}, {at_games}/{args.games} recorded), "
            f"{n} engine{'' if n == 1 else 's'} died with it; {len(now_games)}/{args.games} games kept, "
            f"integrity ok")
        kept = now_games
    wall = time.monotonic() - t_begin
    text = open(out_path).read()
    check(f"{args.games} of {args.games} games recorded" in text, f"last run's summary: {text}")
    final = snapshot(db)
    keeps(kept, final, "at the end")
    check(sorted(final) == list(range(args.games)),
          f"game indexes {sorted(final)}, wanted 0..{args.games - 1}")
    con = sqlite3.connect(db)
    check(con.execute("SELECT COUNT(*) FROM matches").fetchone()[0] == 1, "not one match row")
    con.close()
    # Rerunning the same command plays nothing more.
    r = subprocess.run(cmd + ["--quiet"], capture_output=True, text=True)
    check(r.returncode == 0 and f"{args.games} of {args.games} games recorded" in r.stdout,
          f"rerun: {r.returncode} {r.stdout} {r.stderr}")
    check(snapshot(db) == final, "a rerun of a finished match changed its games")
    # Every stored game, exported, replays with its stored number of moves.
    sgf_dir = os.path.join(work, "sgf")
    r = subprocess.run([args.videogo, "match", "export", "--db", db, "--sgf-dir", sgf_dir],
                       capture_output=True, text=True)
    check(r.returncode == 0, f"match export: {r.stderr}")
    files = sorted(os.listdir(sgf_dir))
    check(len(files) == args.games, f"{len(files)} SGF files exported")
    r = subprocess.run([args.videogo, "sgf", "check", "--quiet"] + [os.path.join(sgf_dir, f) for f in files],
                       capture_output=True, text=True)
    check(r.returncode == 0, f"sgf check: {r.stdout[-2000:]}")
    moves = {int(m.group(1)): int(m.group(2))
             for m in re.finditer(r"m\d+-(\d+)\.sgf: 1 games, (\d+) moves, 0 illegal", r.stdout)}
    check(len(moves) == args.games, f"sgf check lines: {r.stdout[-2000:]}")
    for idx, row in final.items():
        check(moves[idx] == row[2], f"game {idx}: SGF has {moves[idx]} moves, the database {row[2]}")
    log(f"soak: match done: {kills} kills ({early} early, {late} mid-game) in {runs} runs, "
        f"{args.games} games kept once each, integrity ok after every kill, {orphan_checks} engines "
        f"checked to die with the match, {args.games} SGF files replay; {wall:.1f} s")
    return kills, wall


# ---- phase 2: memory over GTP cycles ----

class Gtp:
    """A GTP engine on pipes, with lz-analyze streams stopped by the next command."""

    def __init__(self, argv, err_path):
        self.err = open(err_path, "wb")
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err, bufsize=0)
        self.buf = b""
        self.streaming = False

    def line(self, timeout=60):
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            check(left > 0, "no answer from the engine in time")
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if r:
                chunk = os.read(self.p.stdout.fileno(), 1 << 16)
                check(chunk, f"the engine closed its output (exit {self.p.poll()})")
                self.buf += chunk
        s, self.buf = self.buf.split(b"\n", 1)
        return s.decode()

    def send(self, c):
        self.p.stdin.write((c + "\n").encode())
        if self.streaming:  # the stream ends with an empty line when input arrives
            while self.line() != "":
                pass
            self.streaming = False

    def cmd(self, c):
        self.send(c)
        first = self.line()
        check(first.startswith("="), f"{c}: {first}")
        rest = []
        while True:
            s = self.line()
            if s == "":
                return (first[1:].strip() + "\n" + "\n".join(rest)).strip()
            rest.append(s)

    def analyze(self, c):
        self.send(c)
        first = self.line()
        check(first.startswith("="), f"{c}: {first}")
        info = self.line()
        check(info.startswith("info move"), f"{c}: {info}")
        self.streaming = True

    def quit(self):
        self.cmd("quit")
        rc = self.p.wait(timeout=30)
        self.err.close()
        return rc


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for s in f:
            if s.startswith("VmRSS:"):
                return int(s.split()[1])
    raise SoakError("no VmRSS")


def memory_phase(args, rng):
    seed = rng.randrange(1 << 30)
    if args.tiny_dir:
        argv = [args.videogo, "gtp", "--weights-dir", args.tiny_dir, "--playouts", str(args.playouts),
                "--rollouts", "2", "--seed", str(seed)]
        who = f"learned player (tiny networks, --playouts {args.playouts})"
    else:
        argv = [args.videogo, "gtp", "--player", "random", "--seed", str(seed)]
        who = "random player"
    g = Gtp(argv, os.path.join(args.work, "gtp.err"))
    try:
        return gtp_cycles(args, g, who)
    finally:
        if g.p.poll() is None:
            g.p.kill()
            g.p.wait()


def gtp_cycles(args, g, who):
    """The cycles on a started engine; each adds one move to the game (two genmoves, one undo)."""
    t0 = time.monotonic()
    rss = []
    colour = "b"
    moves = 0
    g.cmd("boardsize 9")
    i = 0
    while i < args.cycles or time.monotonic() - t0 < args.memory_seconds:
        if i % 40 == 0:
            g.cmd("clear_board")
            colour = "b"
        other = "w" if colour == "b" else "b"
        v = g.cmd(f"genmove {colour}")
        check(re.fullmatch(r"[A-HJ-T]\d{1,2}|pass|resign", v, re.I), f"genmove {colour}: {v}")
        g.cmd(f"genmove {other}")
        g.cmd("undo")
        moves += 2
        g.analyze(f"lz-analyze {other} 1" if i % 2 == 0 else f"kata-analyze {other} 1")
        colour = other
        rss.append(rss_kb(g.p.pid))
        i += 1
    g.cmd("clear_board")
    rc = g.quit()
    wall = time.monotonic() - t0
    check(rc == 0, f"videogo gtp exited with {rc}")
    w = min(args.warmup, len(rss)) - 1
    base, last, peak = rss[w], rss[-1], max(rss[w:])
    curve = " ".join(str(rss[min(len(rss) - 1, k * len(rss) // 10)]) for k in range(11))
    log(f"soak: memory: {who}: {i} cycles ({moves} genmoves, {i} undo, {i} analyses) in {wall:.1f} s; "
        f"VmRSS kB: first {rss[0]}, after {w + 1} warm-up cycles {base}, last {last}, peak {peak}; "
        f"growth {last - base} kB (bound {args.rss_bound_kb} kB)")
    log(f"soak: memory: VmRSS curve (kB, every tenth): {curve}")
    check(last - base <= args.rss_bound_kb,
          f"VmRSS grew by {last - base} kB over {i - w - 1} cycles after the warm-up "
          f"(bound {args.rss_bound_kb} kB): a leak in genmove, undo or analysis?")
    return rss[0], base, last, wall


def calibrate(args):
    """--minutes: sizes the match (games, kills) and the memory phase from a 4-game match of the
    same engines (about 70% of the time to the match, the rest to the GTP cycles)."""
    db = os.path.join(args.work, "calibrate.db")
    cmd = [args.videogo, "match", "--black", engine_cmd(args, "random", ""),
           "--white", engine_cmd(args, args.white, "1"), "--games", "4", "--threads", str(args.threads),
           "--db", db, "--quiet"]
    t0 = time.monotonic()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    per_game = (time.monotonic() - t0) / 4
    budget = 0.7 * 60 * args.minutes
    # a kill costs a restart and the games in flight, about half a game each (measured: 23 kills in
    # 92 games took 1.3x the calibrated time): kills = games / 4
    args.games = max(12, int(budget / (per_game * 1.35 + 0.05)))
    args.kills = max(3, args.games // 4)
    args.memory_seconds = 0.3 * 60 * args.minutes
    args.deadline = 4 * budget
    log(f"soak: {args.minutes:g} min: a game takes {per_game:.2f} s of the match's time, so {args.games} games "
        f"and {args.kills} kills; GTP cycles for {args.memory_seconds:.0f} s (at least {args.cycles})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--videogo", default=os.environ.get("VIDEOGO_BIN"), help="the videogo binary ($VIDEOGO_BIN)")
    ap.add_argument("--tiny-policy", help="make_tiny_policy: the learned player on tiny random networks is used "
                    "for the GTP phase (and with --white learned in the match); without it, the random player")
    ap.add_argument("--minutes", type=float, help="size both phases to about this long (dev/soak.sh); "
                    "overrides --games, --kills and the memory phase's length")
    ap.add_argument("--games", type=int, default=12)
    ap.add_argument("--kills", type=int, default=3, help="kills before the match is let finish")
    ap.add_argument("--early", type=float, default=0.25, help="share of kills a random time into a run (0..0.3 s: "
                    "start-up, database open, resume) rather than into a game after a commit")
    ap.add_argument("--white", choices=["random", "learned"], default="random", help="the second engine")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--playouts", type=int, default=30, help="the learned player's search")
    ap.add_argument("--cycles", type=int, default=300, help="GTP cycles (at least)")
    ap.add_argument("--memory-seconds", type=float, default=0, help="GTP cycles for at least this long")
    ap.add_argument("--warmup", type=int, default=50, help="cycles before the VmRSS baseline")
    ap.add_argument("--rss-bound-kb", type=int, default=1024, help="allowed VmRSS growth after the warm-up")
    ap.add_argument("--deadline", type=float, default=150, help="seconds the match phase may take (--minutes: "
                    "4 x its share)")
    ap.add_argument("--seed", type=int, help="default: a new one, printed")
    ap.add_argument("--skip-match", action="store_true")
    ap.add_argument("--skip-memory", action="store_true")
    args = ap.parse_args()
    if not args.videogo:
        ap.error("--videogo or VIDEOGO_BIN is required")
    args.videogo = os.path.abspath(args.videogo)
    if args.white == "learned" and not args.tiny_policy:
        ap.error("--white learned needs --tiny-policy")
    if args.seed is None:
        args.seed = int.from_bytes(os.urandom(4), "little")
    log(f"soak: seed {args.seed} (repeat the schedule with --seed {args.seed})")
    rng = random.Random(args.seed)

    def stop(signum, frame):  # meson's timeout, ^C: the finally clauses stop the engines
        raise SoakError(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    args.work = tempfile.mkdtemp(prefix="videogo-soak-")
    args.tiny_dir = None
    t0 = time.monotonic()
    summary = []
    try:
        # The binary under test is copied: a rebuild of build/ during a long soak must not swap it.
        shutil.copy2(args.videogo, os.path.join(args.work, "videogo"))
        args.videogo = os.path.join(args.work, "videogo")
        if args.tiny_policy:
            args.tiny_dir = os.path.join(args.work, "tiny")
            subprocess.run([args.tiny_policy, args.tiny_dir], check=True, stdout=subprocess.DEVNULL)
        if args.minutes:
            calibrate(args)
        if not args.skip_match:
            kills, match_s = kill_phase(args, rng, args.work)
            summary.append(f"{kills} kills, {args.games} games, match {match_s:.1f} s")
        if not args.skip_memory:
            first, base, last, mem_s = memory_phase(args, rng)
            summary.append(f"VmRSS first/after warm-up/last {first}/{base}/{last} kB, GTP cycles {mem_s:.1f} s")
    except (SoakError, OSError, subprocess.CalledProcessError) as e:
        log(f"soak: FAILED (seed {args.seed}): {e}\nsoak: work folder kept: {args.work}")
        return 1
    log(f"soak: ok: {'; '.join(summary)}; wall {time.monotonic() - t0:.1f} s (seed {args.seed})")
    shutil.rmtree(args.work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
