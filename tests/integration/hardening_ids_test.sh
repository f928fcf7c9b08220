# Ids and text that reach other programs (issue 15, part B): ids libvirt would read differently
# or the JSON writer cannot write are refused at input, ids shown to an operator cannot forge
# lines, echoed input is capped, addresses are checked for syntax.
source "$(dirname "$0")/common.sh"
H="$T/hosts.csv"
printf 'id,cpu,mem,net\nh1,16,65536,10000\nh2,16,65536,10000\n' >"$H"

# A NUL byte in an id: libvirt reads ids as C strings and would act on 'test'.
printf 'id,host,cpu,mem,net\ntest\0evil,h1,1,1,1\n' >"$T/nul.vms.csv"
expect2 "vms.csv: an id with a NUL byte is refused" "nul.vms.csv:2:id: id holds a NUL byte (at byte 5)" \
    plan --hosts "$H" --vms "$T/nul.vms.csv" --out "$T/o-nul"
printf 'id,cpu,mem,net\nh\0,16,65536,10000\n' >"$T/nul.hosts.csv"
expect2 "hosts.csv: an id with a NUL byte is refused" "nul.hosts.csv:2:id: id holds a NUL byte" \
    plan --hosts "$T/nul.hosts.csv" --vms "$T/nul.vms.csv" --out "$T/o-nul"
# An encoded UTF-16 surrogate (U+D800 as ED A0 80) and an overlong '/' (C0 AF, E0 80 AF).
for bad in '\355\240\200' '\340\200\257' '\364\220\200\200'; do
    printf "id,host,cpu,mem,net\nv$bad,h1,1,1,1\n" >"$T/sur.vms.csv"
    set +e
    "$FLEETPLAN" plan --hosts "$H" --vms "$T/sur.vms.csv" --out "$T/o-sur" >"$T/sur.out" 2>&1
    rc=$?
    set -e
    [ $rc -eq 2 ] && grep -qF "sur.vms.csv:2:id: not valid UTF-8" "$T/sur.out" && [ ! -e "$T/o-sur/plan.csv" ] &&
        ok "vms.csv: id with bytes $bad refused at input" || bad "id with bytes $bad: rc $rc $(head -2 "$T/sur.out")"
done

# dispatch: a plan.csv whose VM is 'test<NUL>evil' must not migrate test:///default's 'test'.
mkdir -p "$T/pn"
printf 'step,vm,source,target\n1,test\0evil,h1,h2\n' >"$T/pn/plan.csv"
set +e
"$FLEETPLAN" dispatch --plan "$T/pn" --hosts "$H" --connect-uri-template 'test:///default' --retries 0 --backoff 0 >"$T/dn.out" 2>&1
rc=$?
set -e
[ $rc -eq 2 ] && grep -qF "plan.csv:2:vm: id holds a NUL byte" "$T/dn.out" && [ ! -e "$T/pn/dispatch.journal" ] &&
    ok "dispatch: a NUL in plan.csv's vm is refused, nothing attempted" || bad "dispatch NUL: rc $rc $(head -3 "$T/dn.out"; cat "$T/pn/dispatch.journal" 2>/dev/null)"

# --evacuate-file: a BOM and leading blanks are not part of an id; errors name FILE:LINE.
printf '\357\273\277h1\n  h2\n' >"$T/evac.txt"
printf 'id,host,cpu,mem,net\nv1,h1,1,1,1\n' >"$T/ok.vms.csv"
"$FLEETPLAN" plan --hosts "$H" --vms "$T/ok.vms.csv" --goal evacuate --evacuate-file "$T/evac.txt" --out "$T/o-ev" >/dev/null 2>&1 &&
    ok "--evacuate-file: a BOM and leading blanks are stripped" || bad "--evacuate-file with a BOM: $("$FLEETPLAN" plan --hosts "$H" --vms "$T/ok.vms.csv" --goal evacuate --evacuate-file "$T/evac.txt" --out "$T/o-ev" 2>&1 | head -2)"
printf 'h1\nh9\n' >"$T/evac9.txt"
expect2 "--evacuate-file: an unknown host names FILE:LINE" "evac9.txt:2:host: unknown host 'h9'" \
    plan --hosts "$H" --vms "$T/ok.vms.csv" --goal evacuate --evacuate-file "$T/evac9.txt" --out "$T/o-ev9"
printf 'h1\nh\0x\n' >"$T/evac0.txt"
expect2 "--evacuate-file: a NUL in an id names FILE:LINE" "evac0.txt:2:host: id holds a NUL byte" \
    plan --hosts "$H" --vms "$T/ok.vms.csv" --goal evacuate --evacuate-file "$T/evac0.txt" --out "$T/o-ev0"

# Ids shown to an operator: a newline or an escape sequence cannot forge a line of the listing.
mkdir -p "$T/pf"
printf 'step,vm,source,target\n1,"v1\nwave 9: virDomainMigrateToURI3(FORGED)\033[2K",h1,h2\n' >"$T/pf/plan.csv"
"$FLEETPLAN" dispatch --plan "$T/pf" --hosts "$H" --connect-uri-template 'test:///default' --dry-run >"$T/pf.out" 2>&1 || true
if grep -q '^wave 9: virDomainMigrateToURI3(FORGED)' "$T/pf.out" || grep -q $'\033' "$T/pf.out"; then
    bad "dry run: an id forged a line: $(cat -v "$T/pf.out" | head -5)"
elif grep -qF 'v1\nwave 9: virDomainMigrateToURI3(FORGED)\x1B[2K' "$T/pf.out"; then
    ok "dry run: control characters in ids are escaped"
else
    bad "dry run: escaped id not shown: $(cat -v "$T/pf.out" | head -5)"
fi

# Echoed input is capped: a 100 kB column name is not printed whole.
{
    printf 'id,cpu,mem,net,'
    head -c 100000 /dev/zero | tr '\0' 'x'
    printf '\nh1,16,65536,10000,1\n'
} >"$T/wide.hosts.csv"
"$FLEETPLAN" plan --hosts "$T/wide.hosts.csv" --vms "$T/ok.vms.csv" --out "$T/o-wide" >/dev/null 2>"$T/wide.err" || true
[ "$(wc -c <"$T/wide.err")" -lt 2000 ] && grep -qF 'xxx... (100000 bytes)' "$T/wide.err" &&
    ok "a 100 kB unknown column name is echoed capped" || bad "echo not capped: $(wc -c <"$T/wide.err") bytes"

# Every echo of a flag's value or name is escaped and capped, not only those of the CSV readers.
set +e
"$FLEETPLAN" plan --hosts "$H" --vms "$T/ok.vms.csv" --goal "$(head -c 100000 /dev/zero | tr '\0' 'g')" --out "$T/o-g" >/dev/null 2>"$T/goal.err"
rc1=$?
"$FLEETPLAN" plan --hosts "$H" --vms "$T/ok.vms.csv" $'--x\nFORGED: all is well' --out "$T/o-g" >/dev/null 2>"$T/opt.err"
rc2=$?
set -e
[ $rc1 -eq 2 ] && [ "$(wc -c <"$T/goal.err")" -lt 2000 ] && grep -qF "ggg... (100000 bytes)" "$T/goal.err" &&
    ok "a 100 kB --goal value is echoed capped" || bad "--goal echo: rc $rc1, $(wc -c <"$T/goal.err") bytes"
[ $rc2 -eq 2 ] && ! grep -q '^FORGED' "$T/opt.err" && grep -qF 'unknown option --x\nFORGED' "$T/opt.err" &&
    ok "an unknown option's name is echoed escaped" || bad "option echo: rc $rc2, $(cat "$T/opt.err")"

# Addresses: syntax, not just characters; an empty template is refused.
for addr in '[' ':::' '::1' '[::1]]' '..' '-h' 'a..b' '[fe80::1' '300.1.1.1.1'; do
    printf 'id,cpu,mem,net,address\nh1,16,65536,10000,%s\nh2,16,65536,10000,\n' "$addr" >"$T/addr.csv"
    expect2 "address '$addr' refused" "addr.csv:2:address:" plan --hosts "$T/addr.csv" --vms "$T/ok.vms.csv" --out "$T/o-addr"
done
printf 'id,cpu,mem,net,address\nh1,16,65536,10000,[::1]\nh2,16,65536,10000,10.0.0.2\nh3,1,1,1,node-3.example.org\n' >"$T/good.csv"
"$FLEETPLAN" plan --hosts "$T/good.csv" --vms "$T/ok.vms.csv" --out "$T/o-good" >/dev/null &&
    ok "bracketed IPv6, IPv4 and a host name are accepted" || bad "valid addresses refused"
expect2 "an empty connect URI template is refused" "--connect-uri-template: empty" \
    dispatch --plan "$T/o-good" --hosts "$T/good.csv" --connect-uri-template '' --dry-run
# Spreadsheet formula injection: plan.csv stays byte-exact (dispatch reads it); --csv-safe adds
# plan.spreadsheet.csv, where a cell beginning with = + - @ TAB CR or ' gets a leading '.
printf 'id,host,cpu,mem,net\n=1+1,h1,1,1,1\n-x,h1,1,1,1\n@y,h1,1,1,1\nplain,h1,1,1,1\n' >"$T/f.vms.csv"
"$FLEETPLAN" plan --hosts "$H" --vms "$T/f.vms.csv" --goal evacuate --evacuate h1 --out "$T/o-f" >/dev/null
"$FLEETPLAN" plan --hosts "$H" --vms "$T/f.vms.csv" --goal evacuate --evacuate h1 --csv-safe --out "$T/o-fs" >/dev/null 2>&1 || true
if cmp -s "$T/o-f/plan.csv" "$T/o-fs/plan.csv" && [ ! -e "$T/o-f/plan.spreadsheet.csv" ] &&
    [ "$(cut -d, -f2 "$T/o-fs/plan.spreadsheet.csv" | sort | tr '\n' ' ')" = "'-x '=1+1 '@y plain vm " ] &&
    grep -q '^1,=1+1,h1,h2,' "$T/o-f/plan.csv"; then
    ok "--csv-safe: plan.spreadsheet.csv escapes formula cells, plan.csv unchanged"
else
    bad "--csv-safe: $(cat "$T/o-fs/plan.spreadsheet.csv" 2>&1 | head -5)"
fi
"$FLEETPLAN" plan --hosts "$H" --vms "$T/f.vms.csv" --goal evacuate --evacuate h1 --out "$T/o-fs" >/dev/null
[ ! -e "$T/o-fs/plan.spreadsheet.csv" ] && ok "a run without --csv-safe removes a stale plan.spreadsheet.csv" ||
    bad "stale plan.spreadsheet.csv kept"
finish
