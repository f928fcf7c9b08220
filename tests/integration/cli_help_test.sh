# Every command of `fleetplan --help`: `--help` and `-h` exit 0 with the same usage on stdout,
# and that help lists every flag the command's parser accepts (the parser names them all when
# it refuses an unknown one); every flag the help lists is accepted. Fails when a flag is
# missing from a command's help.
source "$(dirname "$0")/common.sh"

"$FLEETPLAN" --help >"$T/usage.txt"
cmds=$(awk '/^  [a-z]/ {print $1}' "$T/usage.txt")
[ "$(echo "$cmds" | wc -w)" -ge 9 ] && ok "fleetplan --help lists $(echo $cmds | wc -w) commands" ||
    bad "fleetplan --help lists too few commands: $cmds"

for c in $cmds; do
    set +e
    "$FLEETPLAN" "$c" --help >"$T/$c.help" 2>"$T/$c.help.err"
    rc_long=$?
    "$FLEETPLAN" "$c" -h >"$T/$c.h" 2>/dev/null
    rc_short=$?
    "$FLEETPLAN" "$c" --no-such-flag-xyz >/dev/null 2>"$T/$c.unknown"
    rc_unknown=$?
    set -e
    if [ $rc_long -eq 0 ] && [ $rc_short -eq 0 ] && grep -q "^usage: fleetplan $c" "$T/$c.help" &&
        cmp -s "$T/$c.help" "$T/$c.h"; then
        ok "$c: --help and -h exit 0 with the same usage"
    else
        bad "$c: --help rc $rc_long, -h rc $rc_short: $(head -2 "$T/$c.help" "$T/$c.h")"
    fi
    # The flags the parser accepts: "unknown option --X (valid: --a, --b; see --help)".
    accepted=$(sed -n 's/.*unknown option --no-such-flag-xyz (valid: \([^;]*\);.*/\1/p' "$T/$c.unknown" |
        tr -d ',')
    if [ $rc_unknown -ne 2 ] || [ -z "$accepted" ]; then
        bad "$c: an unknown flag gave rc $rc_unknown, $(head -1 "$T/$c.unknown")"
        continue
    fi
    missing=""
    for f in $accepted; do
        [ "$f" = none ] && continue
        grep -Eq -- "(^|[^a-z0-9-])$f([^a-z0-9-]|$)" "$T/$c.help" || missing="$missing $f"
    done
    [ -z "$missing" ] && ok "$c: --help lists every accepted flag ($(echo $accepted | wc -w))" ||
        bad "$c: --help omits$missing"
    # The other way: each flag of the help's option lines is accepted.
    unknown=""
    for f in $(grep -Eo '^  --[a-z0-9-]+' "$T/$c.help"); do
        echo " $accepted " | grep -- " $f " >/dev/null || unknown="$unknown $f"
    done
    [ -z "$unknown" ] && ok "$c: every flag of its help is accepted" ||
        bad "$c: --help lists flags the parser refuses:$unknown"
done

finish
