/* curve.c: learning-curve points (curve.h). */
#include "eval/curve.h"

#include <stdio.h>
#include <string.h>

#include "engine/sha256.h"
#include "eval/chooser.h"
#include "eval/json.h"
#include "model/policy.h"

int curve_eval(db_t *db, const curve_point_t *cp, gobench_result_t *res, char *err, int errlen)
{
    policy_config_t pc;
    policy_config_default(&pc);
    snprintf(pc.tokenizer_path, sizeof pc.tokenizer_path, "%s", cp->tokenizer);
    snprintf(pc.ar_path, sizeof pc.ar_path, "%s", cp->ar);
    snprintf(pc.idm_path, sizeof pc.idm_path, "%s", cp->idm);
    snprintf(pc.ldm_path, sizeof pc.ldm_path, "%s", cp->ldm ? cp->ldm : "");
    pc.max_rollouts = cp->rollouts > 0 ? cp->rollouts : POLICY_DEFAULT_ROLLOUTS;
    char e[2048];
    policy_t *pol = policy_load(&pc, e, sizeof e);
    if (!pol) {
        snprintf(err, (size_t)errlen, "%s", e);
        return -1;
    }
    const int horizon = policy_horizon(pol); /* the futures the points are made with */
    gobench_set_t set;
    if (gobench_load(cp->set_path, &set, NULL, e, sizeof e)) {
        snprintf(err, (size_t)errlen, "%s", e);
        policy_free(pol);
        return -1;
    }
    if (set.n > cp->n) {
        for (int i = cp->n; i < set.n; i++) gobench_pos_free(&set.pos[i]);
        set.n = cp->n;
    }
    eval_chooser_t *ch = eval_chooser_for_policy(pol, 1);
    int rc = gobench_run(&set, ch, NULL, NULL, NULL, res, err, errlen);
    ch->free(ch);
    if (!rc && db) {
        char label[96], config[4096], e_set[1024], e_w[1024], wsha[65] = "", ssha[65] = "";
        snprintf(label, sizeof label, "curve run %lld step %ld", (long long)cp->run_id, cp->step);
        sha256_file_hex(cp->ar, wsha);
        sha256_file_hex(cp->set_path, ssha);
        json_escape(cp->set_path, e_set, sizeof e_set);
        json_escape(cp->ar, e_w, sizeof e_w);
        snprintf(config, sizeof config,
                 "{\"player\":\"learned\",\"set\":%s,\"limit\":%d,\"weights\":%s,\"rollouts\":%d,\"futures\":\"%s\","
                 "\"run_id\":%lld,\"step\":%ld,\"core_hours\":%.6f,\"legality_masking\":false}",
                 e_set, cp->n, e_w, pc.max_rollouts, horizon ? "likeliest first codes" : "likeliest first changes",
                 (long long)cp->run_id, cp->step, cp->core_hours);
        db_eval_t ev = {.benchmark = "gobench", .set_path = cp->set_path, .set_sha256 = ssha, .player = "learned",
                        .label = label, .weights_path = cp->ar, .weights_sha256 = wsha, .config = config,
                        .n = (int)res->n, .n_skipped = set.n_bad, .n_pass = (int)res->n_pass, .legal = res->legal,
                        .legal_lo = res->legal_lo, .legal_hi = res->legal_hi, .value = res->value,
                        .value_lo = res->value_lo, .value_hi = res->value_hi, .best = res->best,
                        .best_lo = res->best_lo, .best_hi = res->best_hi, .seconds = res->seconds};
        if (db_eval_insert(db, &ev) < 0) {
            snprintf(err, (size_t)errlen, "cannot store the curve point: %s", db_error(db));
            rc = -1;
        }
    }
    gobench_set_free(&set);
    return rc;
}
