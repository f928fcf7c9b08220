# `cmake --install` into a scratch prefix, then, with only PREFIX/bin on PATH and from an empty
# directory: the README's command list ("## Using it") runs as printed; every command that
# `fleetplan --help` lists has a man page that renders and names its flags; the bash completion
# completes every command, its flags and a flag's values; the Python reader and
# checkpoint_plots.py work from where they were installed. Then `cpack -G DEB` builds the package
# and `dpkg-deb` lists the program, the pages and the completion (it is not installed).
source "$(dirname "$0")/common.sh"
: "${BUILD:?}"
P="$T/prefix"
cmake --install "$BUILD" --prefix "$P" >"$T/install.log" 2>&1 && ok "cmake --install --prefix $P" ||
    bad "cmake --install: $(tail -5 "$T/install.log")"
export PATH="$P/bin:/usr/bin:/bin"
[ "$(command -v fleetplan)" = "$P/bin/fleetplan" ] && ok "fleetplan on PATH from the prefix" ||
    bad "fleetplan on PATH: $(command -v fleetplan || echo none)"

# The commands, as the program lists them (the same rule as tools/cli_docs.sh).
mapfile -t cmds < <(fleetplan --help | awk '/^  [a-z][a-z0-9-]*  +[^ ]/ { print $1 }')
[ ${#cmds[@]} -ge 9 ] && ok "fleetplan --help lists ${#cmds[@]} commands: ${cmds[*]}" ||
    bad "fleetplan --help lists ${#cmds[@]} commands"
flags_of() { fleetplan "$1" --help | { grep -oE -- '--[a-z][a-z0-9-]*' || true; } | sort -u; }

# 1. The README's command list, line by line, from an empty directory.
D="$T/scratch"
mkdir -p "$D"
cp "$SRC/tests/data/roadef2012/model_a1_1.txt" "$SRC/tests/data/roadef2012/assignment_a1_1.txt" "$D/"
mapfile -t lines < <(awk '/^## Using it/ { s = 1; next } s && /^```/ { if (b) exit; b = 1; next }
                          b && /^fleetplan / { print }' "$SRC/README.md")
[ ${#lines[@]} -ge 5 ] && ok "README's command list: ${#lines[@]} commands" ||
    bad "README's command list has ${#lines[@]} commands"
for l in "${lines[@]}"; do
    if (cd "$D" && bash -c "$l" >"$T/cmd.out" 2>&1); then
        ok "as printed: ${l%%  #*}"
    else
        bad "as printed, exit $?: $l: $(tail -3 "$T/cmd.out")"
    fi
done
cmp -s "$D/plan/plan.csv" "$D/again/plan.csv" && ok "the resumed plan equals the plan" ||
    bad "plan/ and again/ differ"

# 2. Man pages: fleetplan(1) names every command's page; each page renders with its flags.
M="$P/share/man/man1"
page() { LC_ALL=C MANWIDTH=250 man -l "$1" 2>&1 | col -b; }
top=$(page "$M/fleetplan.1.gz")
grep -q "fleetplan - plan live migrations" <<<"$top" && ok "man fleetplan renders" ||
    bad "man fleetplan: $(head -5 <<<"$top")"
for c in "${cmds[@]}"; do
    f="$M/fleetplan-$c.1.gz"
    [ -s "$f" ] || { bad "no man page fleetplan-$c.1.gz for command $c"; continue; }
    text=$(page "$f")
    missing=$(flags_of "$c" | while read -r fl; do grep -qe "$fl" <<<"$text" || echo "$fl"; done)
    if grep -q "^NAME" <<<"$text" && grep -q "fleetplan-$c - " <<<"$text" && [ -z "$missing" ]; then
        ok "man fleetplan-$c renders with every flag of its --help"
    else
        bad "man fleetplan-$c: missing ${missing:-NAME}: $(head -8 <<<"$text")"
    fi
    grep -q "fleetplan-$c(1)" <<<"$top" || bad "fleetplan(1) does not refer to fleetplan-$c(1)"
done

# 3. Bash completion: registered, completes every command, its flags, and --goal's values.
C="$P/share/bash-completion/completions/fleetplan"
complete_words() {  # complete_words WORD... : what TAB offers for the last word
    bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _fleetplan
             printf "%s\n" "${COMPREPLY[@]}"' _ "$C" fleetplan "$@"
}
[ "$(bash -c 'source "$1"; complete -p fleetplan' _ "$C")" = "complete -o default -F _fleetplan fleetplan" ] &&
    ok "complete -p fleetplan" || bad "completion not registered"
for c in "${cmds[@]}"; do
    complete_words "${c:0:2}" | grep -x "$c" >/dev/null || bad "completion of '${c:0:2}' does not offer $c"
    # Every flag that begins an option line of the command's help.
    missing=$(comm -23 <(fleetplan "$c" --help | awk '/^ +--/ { print $1 }' | sort -u) \
        <(complete_words "$c" -- | sort -u) | tr '\n' ' ')
    [ -z "$missing" ] && ok "completion: $c and its flags" || bad "completion of $c lacks $missing"
done
[ "$(complete_words plan --goal con)" = consolidate ] && ok "completion: plan --goal con -> consolidate" ||
    bad "completion of --goal: $(complete_words plan --goal con)"
[ -z "$(complete_words plan fleet/)" ] && ok "completion leaves file names to bash" ||
    bad "completion offers words for a path"

# 4. The Python reader from the prefix (no python/ of the source tree), and checkpoint_plots.py.
PY="$P/lib/python$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')/dist-packages"
(cd "$D" && PYTHONPATH="$PY" "$PYTHON" -c '
import fleetplan, sys
ck = fleetplan.read("plan/checkpoint.h5")
assert fleetplan.__file__.startswith(sys.argv[1]), fleetplan.__file__
rows = sum(1 for _ in open("plan/plan.csv", encoding="utf-8")) - 1
print(ck.summary["migrations"], len(ck.moves), rows)
assert len(ck.moves) == rows and ck.summary["migrations"] > 0' "$PY") >"$T/py.out" 2>&1 &&
    ok "python3 imports the installed fleetplan and reads plan/checkpoint.h5" ||
    bad "installed python package: $(tail -3 "$T/py.out")"
(cd "$D" && PYTHONPATH="$PY" "$P/share/fleetplan/tools/checkpoint_plots.py" plan/checkpoint.h5 \
    --out plots) >"$T/plots.out" 2>&1 && [ -s "$D/plots/waves.png" ] &&
    ok "installed checkpoint_plots.py draws plots/waves.png" || bad "checkpoint_plots.py: $(tail -3 "$T/plots.out")"
for f in configs/default.toml slurm/plan.sbatch slurm/plan-multinode.sbatch slurm/simulate-grid.sbatch; do
    cmp -s "$SRC/$f" "$P/share/fleetplan/$f" || bad "$f not installed as share/fleetplan/$f"
done
(cd "$D" && fleetplan plan --hosts fleet/hosts.csv --vms fleet/vms.csv \
    --config "$P/share/fleetplan/configs/default.toml" --out plan-default >/dev/null 2>&1) &&
    ok "the installed default.toml plans" || bad "installed default.toml"

# 5. The Debian package: built with cpack outside the build tree, never installed here.
(cpack -G DEB -B "$T/pkg" --config "$BUILD/CPackConfig.cmake" >"$T/cpack.log" 2>&1) &&
    ok "cpack -G DEB" || bad "cpack: $(tail -5 "$T/cpack.log")"
version=$(fleetplan --version | awk '{ print $2 }')
deb="$T/pkg/fleetplan_${version}_$(dpkg --print-architecture).deb"
if [ -s "$deb" ]; then
    ok "built $(basename "$deb")"
    dpkg-deb -c "$deb" | awk '{ print $NF }' >"$T/deb.list"
    want=(./usr/bin/fleetplan ./usr/share/man/man1/fleetplan.1.gz
          ./usr/share/bash-completion/completions/fleetplan
          ./usr/lib/python3/dist-packages/fleetplan/__init__.py
          ./usr/share/fleetplan/slurm/simulate-grid.sbatch ./usr/share/fleetplan/configs/default.toml)
    for c in "${cmds[@]}"; do want+=("./usr/share/man/man1/fleetplan-$c.1.gz"); done
    lacks=$(for w in "${want[@]}"; do grep -qx -- "$w" "$T/deb.list" || echo "$w"; done)
    [ -z "$lacks" ] && ok "the package holds the program, every man page, the completion, the Python reader" ||
        bad "the package lacks $lacks"
    depends=$(dpkg-deb -f "$deb" Depends)
    lacks=$(for d in libopenmpi3 libtbb12 libhdf5-103-1 libvirt0 libboost-serialization openmpi-bin \
        python3-h5py; do grep -q "$d" <<<"$depends" || echo "$d"; done)
    [ -z "$lacks" ] && ok "Depends: $depends" || bad "Depends lacks $lacks: $depends"
else
    bad "no $deb: $(ls "$T/pkg" 2>&1)"
fi
finish
