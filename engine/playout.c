/* playout.c: Monte Carlo playouts (policy in playout.h). The rng is the caller's, so a
 * playout is a function of its start and the rng's state. The only global state is the 3x3
 * pattern table, a constant built once (playout_patterns_init). */
#include "engine/playout.h"

#include <string.h>

static void remove_empty(playout_t *po, int p)
{
    int i = po->where[p], last = po->empty[--po->n_empty];
    po->empty[i] = last;
    po->where[last] = i;
}

static void add_empty(playout_t *po, int p)
{
    po->where[p] = po->n_empty;
    po->empty[po->n_empty++] = p;
}

/* Liberties of the group at p0 up to `want` (stops early), and its size in *stones. */
static int group_libs_upto(const board_t *b, int p0, int want, int *stones)
{
    int stack[BOARD_POINTS], sp = 0, libs = 0, n = 0, size = b->size;
    uint64_t seen[(BOARD_POINTS + 63) / 64] = {0}, lib[(BOARD_POINTS + 63) / 64] = {0};
    uint8_t c = b->stones[p0];
    stack[sp++] = p0;
    seen[p0 >> 6] |= 1ULL << (p0 & 63);
    while (sp) {
        int p = stack[--sp], nb[4], k = board_neighbors_at(size, p, nb);
        n++;
        for (int i = 0; i < k; i++) {
            int q = nb[i];
            uint64_t bit = 1ULL << (q & 63);
            if (b->stones[q] == STONE_EMPTY) {
                if (!(lib[q >> 6] & bit)) {
                    lib[q >> 6] |= bit;
                    if (++libs >= want && !stones) return libs;
                }
            } else if (b->stones[q] == c && !(seen[q >> 6] & bit)) {
                seen[q >> 6] |= bit;
                stack[sp++] = q;
            }
        }
    }
    if (stones) *stones = n;
    return libs;
}

/* Classifies a move for the policy: 0 = bad (illegal, ko, own eye), 1 = fine,
 * 2 = self-atari of a group of 2+ stones without capture (its size in *sz). */
static int classify(const playout_t *po, stone_t c, int p, int *sz)
{
    const board_t *b = &po->b;
    if (p == po->ko || board_is_eye(b, p, c)) return 0;
    int nb[4], k = board_neighbors_at(b->size, p, nb), empties = 0;
    for (int i = 0; i < k; i++) empties += b->stones[nb[i]] == STONE_EMPTY;
    if (empties >= 2) return 1;
    if (board_check(b, c, p) != MOVE_OK) return 0;
    /* Exact test on a copy: is the new group in atari, and did it capture? */
    board_t t = *b;
    int n_cap = 0, stones = 0;
    board_play(&t, c, p, NULL, &n_cap);
    if (n_cap > 0) return 1;
    int libs = group_libs_upto(&t, p, 2, &stones);
    if (libs >= 2 || stones < 2) return 1;
    *sz = stones;
    return 2;
}

/* ---- 3x3 patterns (step 1c) ----
 * The MoGo patterns (Gelly, Wang, Munos, Teytaud 2006, "Modification of UCT with patterns in
 * Monte-Carlo Go", fig. 2-5) as listed by Pachi, written with the candidate move at the
 * centre: X and O are the two colours (a pattern matches with the colours either way round,
 * in any of the 8 orientations), '.' empty, '#' off the board, 'x' not X, 'o' not O (off
 * the board included), '?' anything. */
static const char *const patterns[] = {
    "XOX" "..." "???",   /* hane: enclosing hane */
    "XO." "..." "?.?",   /* hane: non-cutting hane */
    "XO?" "X.." "x.?",   /* hane: magari */
    "XOO" "..." "?.?",   /* hane: thin hane */
    ".O." "X.." "...",   /* katatsuke or diagonal attachment */
    "XO?" "O.o" "?o?",   /* cut1: unprotected cut */
    "XO?" "O.X" "???",   /* cut1: peeped cut */
    "?X?" "O.O" "ooo",   /* cut2 */
    "OX?" "o.O" "???",   /* cut keima */
    "X.?" "O.?" "##?",   /* side: chase */
    "OX?" "X.O" "###",   /* side: block side cut */
    "?X?" "x.O" "###",   /* side: block side connection */
    "?XO" "x.x" "###",   /* side: sagari */
    "?OX" "X.O" "###",   /* side: cut */
};

/* The 8 neighbours of a centre in a fixed order (row-major 3x3 without the centre); a
 * neighbourhood code has 2 bits per neighbour: 0 empty, 1 black, 2 white, 3 off the board. */
static const int nb_dr[8] = {-1, -1, -1, 0, 0, 1, 1, 1}, nb_dc[8] = {-1, 0, 1, -1, 1, -1, 0, 1};

static uint8_t pattern_table[1 << 16];   /* 1: some pattern matches the code */
static bool pattern_table_ready;

static bool cell_matches(char pat, int v)
{
    switch (pat) {
    case '?': return true;
    case '.': return v == 0;
    case 'X': return v == 1;
    case 'O': return v == 2;
    case 'x': return v != 1;
    case 'o': return v != 2;
    case '#': return v == 3;
    default: return false;
    }
}

static void build_pattern_table(void)
{
    /* every orientation of every pattern, both colourings, as 8 cell characters in nb order */
    enum { N_PAT = sizeof patterns / sizeof patterns[0] };
    static char var[N_PAT * 16][8];
    int nv = 0;
    for (int i = 0; i < N_PAT; i++)
        for (int s = 0; s < 8; s++)
            for (int swap = 0; swap < 2; swap++) {
                for (int k = 0; k < 8; k++) {
                    int r = nb_dr[k], c = nb_dc[k], rr = r, cc = c;
                    if (s & 1) rr = -rr;         /* flip rows */
                    if (s & 2) cc = -cc;         /* flip columns */
                    if (s & 4) { int t = rr; rr = cc; cc = t; }  /* transpose */
                    char ch = patterns[i][(rr + 1) * 3 + (cc + 1)];
                    if (swap) ch = ch == 'X' ? 'O' : ch == 'O' ? 'X' : ch == 'x' ? 'o' : ch == 'o' ? 'x' : ch;
                    var[nv][k] = ch;
                }
                nv++;
            }
    for (int code = 0; code < (1 << 16); code++) {
        uint8_t m = 0;
        for (int v = 0; v < nv && !m; v++) {
            int k = 0;
            while (k < 8 && cell_matches(var[v][k], (code >> (2 * k)) & 3)) k++;
            m = k == 8;
        }
        pattern_table[code] = m;
    }
    pattern_table_ready = true;
}

void playout_patterns_init(void)
{
    if (!pattern_table_ready) build_pattern_table();
}

bool playout_pattern_at(const board_t *b, int p)
{
    int size = b->size, r = p / size, c = p - r * size, code = 0;
    if (!pattern_table_ready) build_pattern_table();
    for (int k = 0; k < 8; k++) {
        int rr = r + nb_dr[k], cc = c + nb_dc[k];
        int v = rr < 0 || cc < 0 || rr >= size || cc >= size ? 3 : b->stones[rr * size + cc];
        code |= v << (2 * k);
    }
    return pattern_table[code];
}

bool playout_ok(const playout_t *po, stone_t c, int p)
{
    int sz = 0;
    return p >= 0 && po->b.stones[p] == STONE_EMPTY && classify(po, c, p, &sz) != 0;
}

int playout_single_liberty(const board_t *b, int p0)
{
    int stack[BOARD_POINTS], sp = 0, lib = -1, size = b->size;
    uint64_t seen[(BOARD_POINTS + 63) / 64] = {0};
    uint8_t c = b->stones[p0];
    stack[sp++] = p0;
    seen[p0 >> 6] |= 1ULL << (p0 & 63);
    while (sp) {
        int p = stack[--sp], nb[4], k = board_neighbors_at(size, p, nb);
        for (int i = 0; i < k; i++) {
            int q = nb[i];
            if (b->stones[q] == STONE_EMPTY) {
                if (lib >= 0 && lib != q) return -1;
                lib = q;
            } else if (b->stones[q] == c && !(seen[q >> 6] >> (q & 63) & 1)) {
                seen[q >> 6] |= 1ULL << (q & 63);
                stack[sp++] = q;
            }
        }
    }
    return lib;
}

int playout_atari_chains(const board_t *b, int *out)
{
    int np = board_points(b), n = 0, members[BOARD_POINTS];
    uint8_t seen[BOARD_POINTS] = {0};
    for (int p = 0; p < np; p++) {
        if (b->stones[p] == STONE_EMPTY || seen[p]) continue;
        int k = board_group(b, p, members, NULL);
        for (int i = 0; i < k; i++) seen[members[i]] = 1;
        if (playout_single_liberty(b, p) >= 0) out[n++] = p;
    }
    return n;
}

void playout_start(playout_t *po, const board_t *b, int ko, const int *atari0, int n_atari0)
{
    int np = board_points(b);
    po->b = *b;
    po->n_empty = 0;
    po->ko = ko;
    po->last[0] = po->last[1] = -1;
    po->moves = 0;
    po->atari0 = atari0;
    po->n_atari0 = atari0 ? n_atari0 : 0;
    po->escape = false;
    po->patterns = false;
    memset(po->first_color, 0, (size_t)np);
    for (int p = 0; p < np; p++)
        if (b->stones[p] == STONE_EMPTY) add_empty(po, p);
}

/* True when c at p captures nothing and leaves its group with one liberty. */
static bool self_atari(const playout_t *po, stone_t c, int p)
{
    int nb[4], k = board_neighbors_at(po->b.size, p, nb), empties = 0;
    for (int i = 0; i < k; i++) empties += po->b.stones[nb[i]] == STONE_EMPTY;
    if (empties >= 2) return false;   /* two liberties of its own already */
    board_t t = po->b;
    int n_cap = 0;
    if (board_play(&t, c, p, NULL, &n_cap) != MOVE_OK) return true;
    return n_cap == 0 && group_libs_upto(&t, p, 2, NULL) < 2;
}

int playout_move(playout_t *po, stone_t c, rng_t *rng)
{
    int cand[BOARD_POINTS], n = po->n_empty, n_atari = 0;
    int atari[BOARD_POINTS];
    /* Capture heuristic: an opponent group next to one of the last two moves that is
     * in atari gets captured (this is what makes invaders in open territory die). */
    for (int j = 0; j < 2; j++) {
        int m = po->last[j];
        if (m < 0) continue;
        int nb[5], k = board_neighbors_at(po->b.size, m, nb);
        nb[k++] = m;
        for (int i = 0; i < k; i++) {
            if (po->b.stones[nb[i]] != stone_other(c)) continue;
            int lib = playout_single_liberty(&po->b, nb[i]);
            if (lib >= 0 && lib != po->ko && board_check(&po->b, c, lib) == MOVE_OK) return lib;
        }
    }
    /* The first two moves also capture what was already in atari at the start
     * (there is no last move yet to look around). */
    for (int i = 0; po->moves < 2 && i < po->n_atari0; i++) {
        int q = po->atari0[i];
        if (po->b.stones[q] != stone_other(c)) continue;
        int lib = playout_single_liberty(&po->b, q);
        if (lib >= 0 && lib != po->ko && board_check(&po->b, c, lib) == MOVE_OK) return lib;
    }
    /* Escape: a group of ours next to the opponent's last move in atari extends when that
     * gives it 2+ liberties. */
    if (po->escape && po->last[0] >= 0) {
        int nb[4], k = board_neighbors_at(po->b.size, po->last[0], nb);
        for (int i = 0; i < k; i++) {
            if (po->b.stones[nb[i]] != c) continue;
            int lib = playout_single_liberty(&po->b, nb[i]);
            if (lib < 0 || lib == po->ko || board_check(&po->b, c, lib) != MOVE_OK) continue;
            board_t t = po->b;
            board_play(&t, c, lib, NULL, NULL);
            if (group_libs_upto(&t, lib, 2, NULL) >= 2) return lib;
        }
    }
    /* Patterns: an empty point next to the last move that matches one of them and is
     * neither illegal nor a self-atari, chosen at random among those. */
    if (po->patterns && po->last[0] >= 0) {
        int size = po->b.size, r = po->last[0] / size, col = po->last[0] % size, hits[8], nh = 0;
        for (int k = 0; k < 8; k++) {
            int rr = r + nb_dr[k], cc = col + nb_dc[k], q = rr * size + cc, sz = 0;
            if (rr < 0 || cc < 0 || rr >= size || cc >= size || po->b.stones[q] != STONE_EMPTY) continue;
            if (playout_pattern_at(&po->b, q) && classify(po, c, q, &sz) == 1 && !self_atari(po, c, q)) hits[nh++] = q;
        }
        if (nh) return hits[rng_below(rng, (uint32_t)nh)];
    }
    memcpy(cand, po->empty, sizeof(int) * (size_t)n);
    while (n > 0) {
        int i = (int)rng_below(rng, (uint32_t)n), p = cand[i], sz = 0;
        cand[i] = cand[--n];
        int kind = classify(po, c, p, &sz);
        if (kind == 1) return p;
        if (kind == 2 && sz <= PLAYOUT_NAKADE_MAX) atari[n_atari++] = p;
    }
    if (n_atari) return atari[rng_below(rng, (uint32_t)n_atari)];
    return VERTEX_PASS;
}

void playout_play(playout_t *po, stone_t c, int p)
{
    int cap[BOARD_POINTS], n_cap = 0;
    po->ko = -1;
    po->last[1] = po->last[0];
    po->last[0] = p == VERTEX_PASS ? -1 : p;
    if (p != VERTEX_PASS) {
        if (!po->first_color[p]) {
            po->first_color[p] = (uint8_t)c;
            po->first_ply[p] = po->moves;
        }
        board_play(&po->b, c, p, cap, &n_cap);
        remove_empty(po, p);
        for (int i = 0; i < n_cap; i++) add_empty(po, cap[i]);
        if (n_cap == 1) {
            int stones = 0;
            if (group_libs_upto(&po->b, p, 2, &stones) == 1 && stones == 1) po->ko = cap[0];
        }
    }
    po->moves++;
}

void playout_finish(playout_t *po, stone_t c, int passes, int max_moves, rng_t *rng)
{
    for (int m = 0; m < max_moves && passes < 2; m++) {
        int p = playout_move(po, c, rng);
        playout_play(po, c, p);
        passes = p == VERTEX_PASS ? passes + 1 : 0;
        c = stone_other(c);
    }
}
