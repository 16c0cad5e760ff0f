/* search.c: UCT-RAVE Monte Carlo tree search (method in search.h).
 *
 * The tree lives in two growable arrays (nodes, edges) addressed by index, freed at the
 * end of each search: no state survives between searches. */
#include "engine/search.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "engine/playout.h"
#include "engine/util.h"

#define MAX_DEPTH (3 * BOARD_POINTS)
#define SEARCH_PV_MIN_VISITS 2 /* a reply joins a principal variation from this many visits (a
                                  node's first visit goes to its first candidate) */

typedef struct {
    int point;
    float prior;
    int n, rn;       /* visits, AMAF visits */
    float w, rw;     /* wins for the side that plays this edge, AMAF wins */
    int child;       /* node index, or -1 */
} edge_t;

typedef struct {
    int edge0, n_edges;
    int visits;
} node_t;

typedef struct {
    node_t *nodes;
    edge_t *edges;
    int n_nodes, cap_nodes, n_edges, cap_edges;
} tree_t;

void search_opts_default(search_opts_t *o)
{
    o->playouts = 4000;
    o->prior_c = 1.0f;
    o->rave_k = 1000.0f;
    o->expand_after = 2;
    o->escape = true;
    o->patterns = true;
    o->max_seconds = 0;
    o->seed = 1;
    o->hooks = NULL;
    o->threads = 1;
}

static int tree_node(tree_t *t, int n_moves)
{
    if (t->n_nodes == t->cap_nodes) {
        t->cap_nodes = t->cap_nodes ? 2 * t->cap_nodes : 1024;
        t->nodes = xrealloc(t->nodes, sizeof *t->nodes * (size_t)t->cap_nodes);
    }
    while (t->n_edges + n_moves > t->cap_edges) {
        t->cap_edges = t->cap_edges ? 2 * t->cap_edges : 65536;
        t->edges = xrealloc(t->edges, sizeof *t->edges * (size_t)t->cap_edges);
    }
    node_t *nd = &t->nodes[t->n_nodes];
    nd->edge0 = t->n_edges;
    nd->n_edges = n_moves;
    nd->visits = 0;
    t->n_edges += n_moves;
    return t->n_nodes++;
}

static void edge_init(edge_t *e, int point, float prior)
{
    memset(e, 0, sizeof *e);
    e->point = point;
    e->prior = prior;
    e->child = -1;
}

/* A node for the playout's position with c to move: its edges are the playout_ok moves,
 * with a uniform prior. */
static int expand(tree_t *t, const playout_t *po, stone_t c)
{
    int moves[BOARD_POINTS], n = 0;
    for (int i = 0; i < po->n_empty; i++)
        if (playout_ok(po, c, po->empty[i])) moves[n++] = po->empty[i];
    int id = tree_node(t, n);
    edge_t *e = &t->edges[t->nodes[id].edge0];
    for (int i = 0; i < n; i++) edge_init(&e[i], moves[i], 1.0f / (float)n);
    return id;
}

static int select_edge(const tree_t *t, int node, const search_opts_t *o)
{
    const node_t *nd = &t->nodes[node];
    const edge_t *e = &t->edges[nd->edge0];
    float sqrt_n = sqrtf((float)nd->visits + 1.0f), best_v = -1e30f;
    int best = 0;
    for (int i = 0; i < nd->n_edges; i++) {
        float v;
        if (e[i].n == 0 && e[i].rn == 0) {
            v = SEARCH_FPU;
        } else {
            float amaf = e[i].rn ? e[i].rw / (float)e[i].rn : 0.5f;
            if (e[i].n == 0) {
                v = amaf;
            } else {
                float q = e[i].w / (float)e[i].n;
                float beta = e[i].rn ? sqrtf(o->rave_k / (3.0f * (float)e[i].n + o->rave_k)) : 0.0f;
                v = (1.0f - beta) * q + beta * amaf;
            }
        }
        v += o->prior_c * e[i].prior * sqrt_n / (1.0f + (float)e[i].n);
        if (v > best_v) {
            best_v = v;
            best = i;
        }
    }
    return nd->edge0 + best;
}

/* 1 when c wins the finished playout, 0.5 for a draw, 0 when it loses. */
static float outcome(const playout_t *po, float komi, stone_t c)
{
    float black = (float)board_area(&po->b, NULL, NULL) - komi;
    float r = black > 0 ? 1.0f : black < 0 ? 0.0f : 0.5f;
    return c == STONE_BLACK ? r : 1.0f - r;
}

static int cmp_child(const void *a, const void *b)
{
    const search_child_t *x = a, *y = b;
    if (x->visits != y->visits) return x->visits > y->visits ? -1 : 1;
    if (x->winrate != y->winrate) return x->winrate > y->winrate ? -1 : 1;
    if (x->prior != y->prior) return x->prior > y->prior ? -1 : 1;
    return (x->point > y->point) - (x->point < y->point);
}

/* The root's children (with their principal variations) into out. */
static void fill_result(const tree_t *t, int root, int sims, search_result_t *out)
{
    const node_t *rt = &t->nodes[root];
    for (int i = 0; i < rt->n_edges; i++) {
        const edge_t *e = &t->edges[rt->edge0 + i];
        search_child_t *ch = &out->children[i];
        *ch = (search_child_t){e->point, e->n, e->n ? e->w / (float)e->n : 0.5f, e->prior, 1, {e->point}};
        for (int node = e->child; node >= 0 && ch->pv_len < SEARCH_PV_MAX;) {
            const node_t *nd = &t->nodes[node];
            const edge_t *best = NULL;
            for (int k = 0; k < nd->n_edges; k++) {
                const edge_t *f = &t->edges[nd->edge0 + k];
                if (f->n >= SEARCH_PV_MIN_VISITS && (!best || f->n > best->n)) best = f;
            }
            if (!best) break;
            ch->pv[ch->pv_len++] = best->point;
            node = best->child;
        }
    }
    out->n_children = rt->n_edges;
    qsort(out->children, (size_t)out->n_children, sizeof out->children[0], cmp_child);
    out->best = out->n_children ? out->children[0].point : VERTEX_PASS;
    out->winrate = out->n_children ? out->children[0].winrate : 0.5f;
    out->playouts = sims;
    out->nodes = t->n_nodes;
}

/* One tree. stop_flag (may be NULL): set by the first tree when its hooks stop it, read by the
 * others every 16 playouts. */
static int one_search(const game_t *g, stone_t color, const float *prior, const search_opts_t *o,
                      search_result_t *out, atomic_int *stop_flag)
{
    const board_t *b = &g->board;
    int np = board_points(b);
    memset(out, 0, sizeof *out);
    out->best = VERTEX_PASS;
    out->winrate = 0.5f;
    if (color != STONE_BLACK && color != STONE_WHITE) return -1;

    /* root candidates and their prior */
    int moves[BOARD_POINTS], n = 0;
    float pr[BOARD_POINTS], sum = 0.0f;
    for (int p = 0; p < np; p++)
        if (game_candidate(g, color, p)) {
            pr[n] = prior ? (prior[p] > 0.0f ? prior[p] : 0.0f) : 1.0f;
            sum += pr[n];
            moves[n++] = p;
        }
    if (n == 0) return 0;
    for (int i = 0; i < n; i++) pr[i] = sum > 0.0f ? pr[i] / sum : 1.0f / (float)n;

    tree_t t = {0};
    int root = tree_node(&t, n);
    for (int i = 0; i < n; i++) edge_init(&t.edges[t.nodes[root].edge0 + i], moves[i], pr[i]);

    rng_t rng;
    rng_seed(&rng, o->seed);
    int atari0[BOARD_POINTS], n_atari0 = playout_atari_chains(b, atari0);
    int max_moves = 3 * np + 20, expand_after = o->expand_after < 1 ? 1 : o->expand_after;
    int path_node[MAX_DEPTH], path_edge[MAX_DEPTH];
    playout_t po;
    int sims = o->playouts < 1 ? 1 : o->playouts, s;
    const search_hooks_t *hk = o->hooks;
    const double t0 = o->max_seconds > 0 || hk ? time_wall() : 0;
    double t_progress = t0;
    for (s = 0; s < sims; s++) {
        if (s > 0 && s % 16 == 0) {
            if (o->max_seconds > 0 && time_wall() - t0 >= o->max_seconds) break;
            if (hk && hk->stop && hk->stop(hk->arg)) {
                out->stopped = true;
                if (stop_flag) atomic_store(stop_flag, 1);
                break;
            }
            if (!hk && stop_flag && atomic_load(stop_flag)) {
                out->stopped = true;
                break;
            }
            if (hk && hk->progress && time_wall() - t_progress >= hk->progress_s) {
                fill_result(&t, root, s, out);
                hk->progress(hk->arg, out);
                t_progress = time_wall();
            }
        }
        playout_start(&po, b, -1, atari0, n_atari0);
        po.escape = o->escape;
        po.patterns = o->patterns;
        stone_t c = color;
        int depth = 0, node = root;
        while (depth < MAX_DEPTH && t.nodes[node].n_edges > 0) {
            int ei = select_edge(&t, node, o);
            path_node[depth] = node;
            path_edge[depth] = ei;
            depth++;
            playout_play(&po, c, t.edges[ei].point);
            c = stone_other(c);
            if (t.edges[ei].child < 0) {
                if (t.edges[ei].n + 1 >= expand_after) {
                    int child = expand(&t, &po, c);   /* may move t.edges: re-index */
                    t.edges[ei].child = child;
                }
                break;
            }
            node = t.edges[ei].child;
        }
        playout_finish(&po, c, 0, max_moves, &rng);
        float win_black = outcome(&po, g->komi, STONE_BLACK);
        /* back up: the edge at depth d was played by color (d even) or its opponent */
        for (int d = 0; d < depth; d++) {
            stone_t mover = (d & 1) ? stone_other(color) : color;
            float r = mover == STONE_BLACK ? win_black : 1.0f - win_black;
            node_t *nd = &t.nodes[path_node[d]];
            edge_t *e = &t.edges[path_edge[d]];
            nd->visits++;
            e->n++;
            e->w += r;
            edge_t *f = &t.edges[nd->edge0];
            for (int i = 0; i < nd->n_edges; i++) {
                int p = f[i].point;
                if (po.first_color[p] == mover && po.first_ply[p] >= d) {
                    f[i].rn++;
                    f[i].rw += r;
                }
            }
        }
    }

    fill_result(&t, root, s, out);
    free(t.nodes);
    free(t.edges);
    return 0;
}

typedef struct {
    const game_t *g;
    stone_t color;
    const float *prior;
    search_opts_t o;
    search_result_t *out;
    atomic_int *stop_flag;
    int rc;
} search_job_t;

static void *search_thread(void *arg)
{
    search_job_t *j = arg;
    j->rc = one_search(j->g, j->color, j->prior, &j->o, j->out, j->stop_flag);
    return NULL;
}

int search_run(const game_t *g, stone_t color, const float *prior, const search_opts_t *o, search_result_t *out)
{
    int nt = o->threads < 1 ? 1 : o->threads > SEARCH_MAX_THREADS ? SEARCH_MAX_THREADS : o->threads;
    int sims = o->playouts < 1 ? 1 : o->playouts;
    if (nt > sims) nt = sims;
    if (nt == 1) return one_search(g, color, prior, o, out, NULL);
    search_job_t job[SEARCH_MAX_THREADS];
    search_result_t *res = xmalloc((size_t)nt * sizeof *res);
    pthread_t th[SEARCH_MAX_THREADS];
    atomic_int stop_flag = 0;
    for (int i = 0; i < nt; i++) {
        job[i] = (search_job_t){g, color, prior, *o, &res[i], &stop_flag, 0};
        job[i].o.threads = 1;
        job[i].o.seed = o->seed + (uint64_t)i;
        job[i].o.playouts = sims / nt + (i < sims % nt);
        if (i > 0) job[i].o.hooks = NULL; /* the first tree calls the caller's hooks */
    }
    int started[SEARCH_MAX_THREADS] = {0};
    for (int i = 1; i < nt; i++) started[i] = pthread_create(&th[i], NULL, search_thread, &job[i]) == 0;
    search_thread(&job[0]);
    for (int i = 1; i < nt; i++) {
        if (started[i]) pthread_join(th[i], NULL);
        else search_thread(&job[i]); /* no thread to be had: run it here */
    }
    int rc = 0;
    for (int i = 0; i < nt; i++) rc |= job[i].rc;
    /* add up the root figures per move (the children lists hold the same moves); each move's
     * pv comes from the tree that visited it most */
    *out = res[0];
    out->playouts = out->nodes = 0;
    for (int c = 0; c < out->n_children; c++) {
        search_child_t *ch = &out->children[c];
        double wins = 0;
        int visits = 0, best_v = -1;
        for (int i = 0; i < nt; i++)
            for (int k = 0; k < res[i].n_children; k++)
                if (res[i].children[k].point == ch->point) {
                    const search_child_t *x = &res[i].children[k];
                    visits += x->visits;
                    wins += (double)x->winrate * x->visits;
                    if (x->visits > best_v) {
                        best_v = x->visits;
                        ch->pv_len = x->pv_len;
                        memcpy(ch->pv, x->pv, sizeof ch->pv);
                    }
                    break;
                }
        ch->visits = visits;
        ch->winrate = visits ? (float)(wins / visits) : 0.5f;
    }
    for (int i = 0; i < nt; i++) {
        out->playouts += res[i].playouts;
        out->nodes += res[i].nodes;
        out->stopped |= res[i].stopped;
    }
    qsort(out->children, (size_t)out->n_children, sizeof out->children[0], cmp_child);
    out->best = out->n_children ? out->children[0].point : VERTEX_PASS;
    out->winrate = out->n_children ? out->children[0].winrate : 0.5f;
    free(res);
    return rc;
}
