#!/usr/bin/env bash
# Generates fleetplan's man pages and its bash completion from the program's own help, so they
# always describe the commands and flags it has (run at build time by CMakeLists.txt):
#
#   tools/cli_docs.sh FLEETPLAN VERSION OUT_DIR
#
# The commands are the lines `  NAME  one line` of `fleetplan --help`; each gets
# OUT_DIR/man1/fleetplan-NAME.1.gz from `fleetplan NAME --help` (help2man), fleetplan.1.gz lists
# them, and OUT_DIR/bash-completion/fleetplan completes the commands and each command's flags
# (every `--flag` its help names; `--flag A|B|C` also completes A, B, C). A command whose --help
# fails or prints nothing stops the build: every command the program lists must have a page.
# SOURCE_DATE_EPOCH (when set) dates the pages, so the same help gives the same bytes.
set -euo pipefail
if [ $# -ne 3 ]; then
    echo "usage: $0 FLEETPLAN VERSION OUT_DIR" >&2
    exit 2
fi
FLEETPLAN=$1
VERSION=$2
OUT=$3
command -v help2man >/dev/null || { echo "$0: help2man is missing (apt-get install help2man)" >&2; exit 1; }
rm -rf "$OUT/man1" "$OUT/help" "$OUT/bash-completion"
mkdir -p "$OUT/man1" "$OUT/help" "$OUT/bash-completion"

# help2man reads a synopsis from `Usage:` and `or:` lines; fleetplan prints `usage:` and starts
# further forms of a command on indented `fleetplan ...` lines, and wraps a long form onto
# indented lines of its own. This turns the first into `or:` lines and joins the second.
for_help2man() {
    awk '
        /^[Uu]sage: / { sub(/^[Uu]sage:/, "Usage:"); line = $0; inusage = 1; next }
        inusage && /^ +fleetplan / { print line; sub(/^ +/, ""); line = "   or: " $0; next }
        inusage && /^ +[^ -]/ && !/^  [a-z][a-z0-9-]*  / { sub(/^ +/, " "); line = line $0; next }
        inusage { print line; inusage = 0 }
        { print }
        END { if (inusage) print line }
    '
}

top=$("$FLEETPLAN" --help)
mapfile -t commands < <(printf '%s\n' "$top" | awk '/^  [a-z][a-z0-9-]*  +[^ ]/ { print $1 }')
if [ ${#commands[@]} -eq 0 ]; then
    echo "$0: \`$FLEETPLAN --help\` lists no commands" >&2
    exit 1
fi
describe() {  # the one line `fleetplan --help` gives the command
    printf '%s\n' "$top" | awk -v c="$1" '$1 == c { sub(/^  [^ ]+ +/, ""); print; exit }'
}

export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-0}
see_also=""
completion_cases=""
for c in "${commands[@]}"; do
    help=$("$FLEETPLAN" "$c" --help 2>&1) || {
        echo "$0: \`fleetplan $c --help\` failed: $help" >&2
        exit 1
    }
    [ -n "$help" ] || { echo "$0: \`fleetplan $c --help\` printed nothing" >&2; exit 1; }
    printf '%s\n' "$help" | for_help2man >"$OUT/help/$c.txt"
    printf '[SEE ALSO]\n.BR fleetplan (1)\n' >"$OUT/help/$c.include"
    help2man --no-info --section=1 --manual="fleetplan manual" --source="fleetplan $VERSION" \
        --version-string="fleetplan-$c (fleetplan) $VERSION" --name="$(describe "$c")" \
        --include="$OUT/help/$c.include" -h "" \
        --output="$OUT/man1/fleetplan-$c.1" "cat $OUT/help/$c.txt"
    see_also+="${see_also:+$',\n'}.BR \\%fleetplan-$c (1)"
    # Flags: those of the synopsis and of the option lines' first column (not ones prose names).
    flags=$(printf '%s\n' "$help" | for_help2man | awk '
        /^(Usage|   or):/ { print; next }
        /^ +-/ { sub(/^ +/, ""); i = index($0, "  "); print (i ? substr($0, 1, i - 1) : $0) }' |
        { grep -oE -- '--[a-z][a-z0-9-]*' || true; } | sort -u | tr '\n' ' ')
    # Values of `--flag A|B|C` (the goal, a dispatch mode, ...).
    values=$(printf '%s\n' "$help" | { grep -oE -- '--[a-z][a-z0-9-]*[ =][a-z0-9-]+(\|[a-z0-9-]+)+' || true; } |
        sort -u | sed -E 's/^(--[a-z0-9-]+)[ =](.*)$/\1) words="\2" ;;/; s/\|/ /g')
    completion_cases+="        $c)
            flags=\"$flags--help\""
    [ -n "$values" ] && completion_cases+="
            case \$prev in
$(printf '%s\n' "$values" | sed 's/^/                /')
            esac"
    completion_cases+=" ;;
"
done

printf '%s\n' "$top" | for_help2man >"$OUT/help/fleetplan.txt"
{
    printf '[SEE ALSO]\n%s\n' "$see_also"
    printf '[EXIT STATUS]\n0 success (also a plan that cannot do everything), 2 bad input or usage,\n'
    printf '3 environment failure (previous outputs intact), 1 internal error;\n'
    printf '.B plan \\-\\-fail\\-on\\-unresolved\nexits 4 when something is unresolved.\n'
} >"$OUT/help/fleetplan.include"
help2man --no-info --section=1 --manual="fleetplan manual" --source="fleetplan $VERSION" \
    --version-string="fleetplan $VERSION" --name="plan live migrations of VMs between hosts" \
    --include="$OUT/help/fleetplan.include" -h "" \
    --output="$OUT/man1/fleetplan.1" "cat $OUT/help/fleetplan.txt"
gzip -9nf "$OUT"/man1/*.1

cat >"$OUT/bash-completion/fleetplan" <<EOF
# bash completion for fleetplan $VERSION, generated from its --help by tools/cli_docs.sh.
_fleetplan() {
    local cur=\${COMP_WORDS[COMP_CWORD]} prev="" words="" flags=""
    [ "\$COMP_CWORD" -ge 2 ] && prev=\${COMP_WORDS[COMP_CWORD - 1]}
    if [ "\$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=(\$(compgen -W "${commands[*]} --help --version" -- "\$cur"))
        return
    fi
    case \${COMP_WORDS[1]} in
$completion_cases        *) return ;;
    esac
    if [ -n "\$words" ]; then
        COMPREPLY=(\$(compgen -W "\$words" -- "\$cur"))
    elif [[ \$cur == -* ]]; then
        COMPREPLY=(\$(compgen -W "\$flags" -- "\$cur"))
    fi  # otherwise nothing: bash completes file names (complete -o default)
}
complete -o default -F _fleetplan fleetplan
EOF
bash -n "$OUT/bash-completion/fleetplan"
printf '%s\n' "${commands[@]}" >"$OUT/commands.txt"
