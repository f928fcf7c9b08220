# `simulate --preset` with --config: the best chain's parameters ([sim] best_*) come from the
# config as in fleet runs, travel in the checkpoint (a stop and --resume equals the uninterrupted
# run), and any other key is refused naming FILE:LINE:KEY (the preset fixes it), exit 2.
source "$(dirname "$0")/common.sh"
PL="$SRC/tests/data/planetlab/20110306-subset"
ORDER="$SRC/tests/data/planetlab/order-20110306-subset.txt"
preset() { "$FLEETPLAN" simulate --preset cloudsim-planetlab --trace "$PL" --trace-order "$ORDER" "$@" >/dev/null; }

preset --policy best --out "$T/plain"
# The preset's own settings of best written out (src/sim/preset.cpp): the same run; keys left
# out keep the preset's values, not BestChainParams{}'s.
printf '[sim]\nbest_window = 12\nbest_quantile = 0.75\nbest_pack = 0.95\nbest_cooldown = 24\nbest_hot_forecast = 1.2\nbest_mem_pack = 0.85\n' >"$T/defaults.toml"
preset --policy best --config "$T/defaults.toml" --out "$T/defaults"
[ "$(stable_sim "$T/plain")" = "$(stable_sim "$T/defaults")" ] &&
    ok "a config with the preset's best_* values: the same run" || bad "the preset's best_* values changed the run"
# The fleet defaults (BestChainParams{}) are not the preset's: a config giving them changes it.
printf '[sim]\nbest_quantile = 0.9\nbest_pack = 0.85\nbest_cooldown = 12\n' >"$T/fleetdef.toml"
preset --policy best --config "$T/fleetdef.toml" --out "$T/fleetdef"
[ "$(stable_sim "$T/plain")" != "$(stable_sim "$T/fleetdef")" ] &&
    ok "a config's best_* keys override the preset's settings" || bad "best_* keys from the config ignored under --preset"
# Tighter CPU packing: the chain reads it (more hosts stay on, so more energy). (best_mem_* do
# nothing here: the preset does not reserve memory.)
printf '# packing to 50%%\n[sim]\nbest_pack = 0.5\nbest_drain_pack = 0.45\n' >"$T/tight.toml"
preset --policy best --config "$T/tight.toml" --out "$T/tight"
"$PYTHON" - "$T/plain/metrics.json" "$T/tight/metrics.json" <<'PY' && ok "best_mem_pack from the config reaches the preset's best chain" || bad "best_mem_pack ignored under --preset"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert b["mean_active_hosts"] > a["mean_active_hosts"] and b["energy_kwh"] > a["energy_kwh"], (a, b)
PY
# A stop and --resume: the config comes back from the checkpoint.
preset --policy best --config "$T/tight.toml" --stop-after 100 --out "$T/stop"
"$FLEETPLAN" simulate --resume "$T/stop/checkpoint.h5" --out "$T/stop" >/dev/null
[ "$(stable_sim "$T/tight")" = "$(stable_sim "$T/stop")" ] &&
    ok "stop + resume with the config = uninterrupted" || bad "resume lost the preset's config"
"$FLEETPLAN" inspect "$T/tight/checkpoint.h5" --json | grep "config $T/tight.toml" >/dev/null &&
    ok "the inputs name the config" || bad "inputs without the config"

# Refusals: exit 2, FILE:LINE:KEY.
printf '[sim]\nbest_pack = 0.8\nboot_s = 30\n' >"$T/boot.toml"
expect2 "a [sim] key the preset fixes" "$T/boot.toml:3:sim.boot_s: the preset fixes it" \
    simulate --preset cloudsim-planetlab --trace "$PL" --policy best --config "$T/boot.toml" --out "$T/x"
printf '[policy]\ntrigger = { name = "lr" }\n' >"$T/policy.toml"
expect2 "a policy under --preset" "$T/policy.toml:2:policy.trigger.name: the preset fixes it" \
    simulate --preset cloudsim-planetlab --trace "$PL" --policy best --config "$T/policy.toml" --out "$T/x"
printf '[sim]\nbest_pack = 2\n' >"$T/range.toml"
expect2 "best_pack out of range" "$T/range.toml:2:sim.best_pack" \
    simulate --preset cloudsim-planetlab --trace "$PL" --policy best --config "$T/range.toml" --out "$T/x"
expect2 "a missing config" "$T/nope.toml" \
    simulate --preset cloudsim-planetlab --trace "$PL" --policy best --config "$T/nope.toml" --out "$T/x"
[ ! -e "$T/x" ] && ok "refused runs wrote nothing" || bad "a refused run wrote $T/x"
finish
