// method_list.h — THE method registry table: one line per unlearning method, in the order of --help, the
// error messages and docs/CLI.md.  METHOD_ROW(KIND, DEF): KIND becomes a MethodKind enumerator (config.h),
// DEF is the `const MethodDef` that the method's own file defines (registry.c collects them).
// Adding a method: write src/unlearn/NAME.c with its MethodDef and add one line here (docs/ARCHITECTURE.md, "A new unlearning method").
// No include guard on purpose: it is expanded once per METHOD_ROW definition.
METHOD_ROW(METHOD_RETRAIN, method_retrain)
METHOD_ROW(METHOD_FT, method_ft)
METHOD_ROW(METHOD_GA, method_ga)
METHOD_ROW(METHOD_RL, method_rl)
METHOD_ROW(METHOD_UGRADSL, method_ugradsl)
METHOD_ROW(METHOD_UGRADSL_PLUS, method_ugradsl_plus)
METHOD_ROW(METHOD_L1_SPARSE, method_l1_sparse)
METHOD_ROW(METHOD_EU_K, method_eu_k)
METHOD_ROW(METHOD_CF_K, method_cf_k)
METHOD_ROW(METHOD_SCRUB, method_scrub)
METHOD_ROW(METHOD_SALUN, method_salun)
METHOD_ROW(METHOD_BE, method_be)
METHOD_ROW(METHOD_BS, method_bs)
METHOD_ROW(METHOD_IU, method_iu)
