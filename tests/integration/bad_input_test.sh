# Every bad-input class of CONTRACT.md through the real program: exit code 2, a message
# FILE:LINE:COLUMN: what, and the previous outputs in --out untouched.
source "$(dirname "$0")/common.sh"
H="$T/hosts.csv"
printf 'id,cpu,mem,net,state\nh1,16,65536,10000,active\nh2,16,65536,10000,off\n' >"$H"

# expect_bad NAME EXPECTED_STDERR_REGEX -- fleetplan args...
expect_bad() {
    local name=$1 pattern=$2
    shift 3
    local out="$T/out-$name"
    mkdir -p "$out"
    echo "previous plan" >"$out/plan.csv"
    set +e
    "$FLEETPLAN" "$@" 2>"$T/$name.err" >/dev/null
    local rc=$?
    set -e
    if [ $rc -ne 2 ]; then
        bad "$name: exit code $rc, expected 2 ($(head -1 "$T/$name.err"))"
    elif ! grep -Eq -- "$pattern" "$T/$name.err"; then
        bad "$name: message '$(head -1 "$T/$name.err")' does not match '$pattern'"
    elif [ "$(cat "$out/plan.csv")" != "previous plan" ] || [ -e "$out/summary.json" ] || [ -e "$out/checkpoint.h5" ]; then
        bad "$name: outputs were touched"
    else
        ok "$name: $(head -1 "$T/$name.err")"
    fi
}

# vm_case NAME REGEX VMS_CSV_TEXT
vm_case() {
    printf '%b' "$3" >"$T/$1.vms.csv"
    expect_bad "$1" "$2" -- plan --hosts "$H" --vms "$T/$1.vms.csv" --out "$T/out-$1"
}
host_case() {
    printf '%b' "$3" >"$T/$1.hosts.csv"
    printf 'id,host,cpu,mem,net\n' >"$T/$1.vms.csv"
    expect_bad "$1" "$2" -- plan --hosts "$T/$1.hosts.csv" --vms "$T/$1.vms.csv" --out "$T/out-$1"
}

host_case missing_column '^.*hosts\.csv:1:mem: missing required column' 'id,cpu,net\nh1,1,1\n'
vm_case missing_column_vms 'vms\.csv:1:host: missing required column' 'id,cpu,mem,net\nv,1,1,1\n'
vm_case unparsable 'vms\.csv:2:cpu: not a number' 'id,host,cpu,mem,net\nv1,h1,1..5,1,1\n'
vm_case nan 'vms\.csv:3:mem: must be a finite number' 'id,host,cpu,mem,net\nv0,h1,1,1,1\nv1,h1,1,nan,1\n'
vm_case infinite 'vms\.csv:2:net: must be a finite number' 'id,host,cpu,mem,net\nv1,h1,1,1,inf\n'
vm_case negative 'vms\.csv:2:cpu: must not be negative' 'id,host,cpu,mem,net\nv1,h1,-1,1,1\n'
vm_case out_of_range 'vms\.csv:2:mem: out of range' 'id,host,cpu,mem,net\nv1,h1,1,2e9,1\n'
host_case zero_capacity 'hosts\.csv:2:net: must be greater than 0' 'id,cpu,mem,net\nh1,1,1,0\n'
vm_case missing_value 'vms\.csv:2:net: missing value' 'id,host,cpu,mem,net\nv1,h1,1,1,\n'
vm_case duplicate_id 'vms\.csv:3:id: duplicate id .v1. \(first on line 2\)' 'id,host,cpu,mem,net\nv1,h1,1,1,1\nv1,h1,1,1,1\n'
host_case duplicate_host 'hosts\.csv:3:id: duplicate id' 'id,cpu,mem,net\nh1,1,1,1\nh1,1,1,1\n'
vm_case unknown_host 'vms\.csv:2:host: unknown host .h9.' 'id,host,cpu,mem,net\nv1,h9,1,1,1\n'
vm_case vm_on_off_host 'vms\.csv:2:host: host .h2. is off' 'id,host,cpu,mem,net\nv1,h2,1,1,1\n'
vm_case empty_file 'vms\.csv:1:header: empty file' ''
vm_case bad_quoting 'vms\.csv:2:id: unterminated quoted field' 'id,host,cpu,mem,net\n"v1,h1,1,1,1\n'
vm_case stray_quote 'vms\.csv:2:id: quote inside an unquoted field' 'id,host,cpu,mem,net\nv"1,h1,1,1,1\n'
vm_case field_count 'vms\.csv:2:net: expected 5 fields, found 4' 'id,host,cpu,mem,net\nv1,h1,1,1\n'
host_case bad_state 'hosts\.csv:2:state: unknown state' 'id,cpu,mem,net,state\nh1,1,1,1,sleeping\n'

printf 'id,host,cpu,mem,net\nv1,h1,1,1,1\n' >"$T/ok.vms.csv"
expect_bad missing_file 'nope\.csv: cannot open' -- plan --hosts "$T/nope.csv" --vms "$T/ok.vms.csv" --out "$T/out-missing_file"
printf '[plan]\nmax_utl = 0.5\n[policy]\nplacement = { name = "worst-fit" }\n' >"$T/bad.toml"
expect_bad config 'plan\.max_utl: unknown key' -- plan --hosts "$H" --vms "$T/ok.vms.csv" --config "$T/bad.toml" --out "$T/out-config"
grep -Eq "unknown placement policy 'worst-fit' \(valid: .*bfd, .*ffd" "$T/config.err" && ok "config lists every problem" || bad "config: second problem not listed"
printf '[plan\n' >"$T/syntax.toml"
expect_bad config_syntax 'syntax\.toml:1:' -- plan --hosts "$H" --vms "$T/ok.vms.csv" --config "$T/syntax.toml" --out "$T/out-config_syntax"
expect_bad unknown_flag 'unknown option --frobnicate' -- plan --hosts "$H" --vms "$T/ok.vms.csv" --frobnicate --out "$T/out-unknown_flag"
expect_bad max_util_range '--max-util: 1.5 is out of range' -- plan --hosts "$H" --vms "$T/ok.vms.csv" --max-util 1.5 --out "$T/out-max_util_range"
expect_bad max_util_nan '--max-util: expected a finite number' -- plan --hosts "$H" --vms "$T/ok.vms.csv" --max-util nan --out "$T/out-max_util_nan"
expect_bad unknown_evacuee "--evacuate: unknown host 'h7'" -- plan --hosts "$H" --vms "$T/ok.vms.csv" --evacuate h7 --out "$T/out-unknown_evacuee"
expect_bad bad_goal "unknown goal 'tidy'" -- plan --hosts "$H" --vms "$T/ok.vms.csv" --goal tidy --out "$T/out-bad_goal"
expect_bad no_out '--out DIR is required' -- plan --hosts "$H" --vms "$T/ok.vms.csv"
finish
