/* libFuzzer target for the config.json parser.  Besides "no crash, no
 * leak, no UB" it checks what spec.h promises of every spec it accepts, so
 * a validation hole shows up as a crash too. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

#define MUST(c)                                                                                    \
  do {                                                                                             \
    if (!(c))                                                                                      \
      abort();                                                                                     \
  } while (0)

static void check_strv(char **v, bool may_be_null) {
  if (v == NULL) {
    MUST(may_be_null);
    return;
  }
  for (; *v; v++)
    (void)strlen(*v);
}

static void check_spec(const struct spec *s) {
  const struct spec_process *p = &s->process;

  MUST(s->root_json && s->oci_version && s->oci_version[0] == '1');
  MUST(s->has_process);
  MUST(p->args && p->args[0] && p->args[0][0]);
  check_strv(p->args, false);
  MUST(p->env);
  for (char **e = p->env; *e; e++)
    MUST(strchr(*e, '=') && **e != '=');
  MUST(p->cwd && p->cwd[0] == '/');
  MUST(p->user.uid != (uid_t)-1 && p->user.gid != (gid_t)-1);
  MUST(p->user.n_additional_gids == 0 || p->user.additional_gids);
  MUST(!p->user.has_umask || p->user.umask <= 0777);
  for (size_t i = 0; i < p->n_rlimits; i++)
    MUST(p->rlimits[i].resource >= 0 && p->rlimits[i].soft <= p->rlimits[i].hard);
  MUST((p->caps.bounding | p->caps.effective | p->caps.permitted | p->caps.inheritable |
        p->caps.ambient) >>
           41 ==
       0);
  MUST(!p->has_oom_score_adj || (p->oom_score_adj >= -1000 && p->oom_score_adj <= 1000));
  MUST(s->root_path && s->root_path[0]);
  for (size_t i = 0; i < s->n_mounts; i++) {
    const struct spec_mount *m = &s->mounts[i];
    MUST(m->destination && m->destination[0] == '/');
    check_strv(m->options, false);
    /* an option word may itself hold commas (SELinux context="a,b"):
     * data is only known to be non-empty */
    MUST(m->data == NULL || m->data[0]);
    MUST(m->recursive_ro == ((m->rec_attr_set & 1) != 0));
  }
  for (int k = 0; k < SPEC_HOOK_COUNT; k++)
    for (size_t i = 0; i < s->hooks[k].n; i++) {
      const struct spec_hook *h = &s->hooks[k].list[i];
      MUST(h->path && h->path[0] == '/');
      MUST(!h->has_timeout || h->timeout > 0);
      check_strv(h->args, true);
      check_strv(h->env, true);
    }
  for (int t = 0; t < SPEC_NS_COUNT; t++)
    MUST(s->ns[t].path == NULL || (s->ns[t].present && s->ns[t].path[0] == '/'));
  for (size_t i = 0; i < s->n_sysctl; i++)
    MUST(s->sysctl[i].key && s->sysctl[i].value);
  check_strv(s->masked_paths, true);
  check_strv(s->readonly_paths, true);
  for (char **v = s->masked_paths; v && *v; v++)
    MUST(**v == '/');
  MUST(s->n_uid_mappings == 0 || s->uid_mappings);
  MUST(s->n_gid_mappings == 0 || s->gid_mappings);
  MUST(!s->rootfs_propagation || s->rootfs_propagation_flags);
  MUST(!s->annotations || json_is_object(s->annotations));
  MUST(!s->resources || json_is_object(s->resources));
  MUST(!s->devices || json_is_array(s->devices));
  MUST(!s->seccomp || json_is_object(s->seccomp));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct spec *s = NULL;
  pk_error *err = NULL;

  if (spec_parse((const char *)data, size, &s, &err) < 0) {
    MUST(s == NULL && err && err->msg && err->msg[0]);
    error_free(&err);
    return 0;
  }
  MUST(s && err == NULL);
  check_spec(s);
  spec_free(s);
  return 0;
}
