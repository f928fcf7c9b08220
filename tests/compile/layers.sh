#!/usr/bin/env bash
# The core's layers point one way (STYLE.md §1): each folder of src/ may include only the folders
# listed for it, and nothing in the core (fp_core: every src/ folder but dist and dispatch/libvirt)
# includes io/, mpi/ or the MPI, HDF5 and libvirt headers. A cycle such as policy -> plan -> policy
# fails here by naming the file and the line.
set -u
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root" || exit 2
declare -A allowed=(
    [util]="util"
    [model]="util model"
    [policy]="util model policy"
    [plan]="util model policy plan"
    [opt]="util model opt"
    [sim]="util model policy plan sim"
    [dispatch]="util model plan dispatch"
    [config]="util model policy plan sim dispatch opt config"
)
bad=0
for dir in src/*/; do
    layer=$(basename "$dir")
    [[ $layer == dist ]] && continue  # fp_dist: the distributed driver, above io/
    if [[ -z ${allowed[$layer]+x} ]]; then
        echo "layers: src/$layer has no rule here; add it to tests/compile/layers.sh"
        bad=1
        continue
    fi
    while IFS= read -r hit; do
        file=${hit%%:*}
        rest=${hit#*:}
        line=${rest%%:*}
        inc=$(sed -E 's/.*#include "([^"]*)".*/\1/' <<<"$rest")
        [[ $file == src/dispatch/libvirt/* ]] && continue  # fp_dispatch_libvirt
        case $inc in
            io/* | mpi/*)
                echo "$file:$line: the core includes $inc"
                bad=1
                ;;
            src/*)
                target=$(cut -d/ -f2 <<<"$inc")
                if [[ " ${allowed[$layer]} " != *" $target "* ]]; then
                    echo "$file:$line: src/$layer may not include src/$target ($inc)"
                    bad=1
                fi
                ;;
        esac
    done < <(grep -rnE '^#include "' "$dir")
    while IFS= read -r hit; do
        [[ $hit == src/dispatch/libvirt/* ]] && continue
        echo "$hit: the core includes an MPI, HDF5 or libvirt header"
        bad=1
    done < <(grep -rnE '^#include <(mpi|hdf5|H5[A-Za-z]*|libvirt/[a-z-]+)\.h>' "$dir")
done
[[ $bad == 0 ]] && echo "layers: every include points down"
exit $bad
