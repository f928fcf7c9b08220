# Sourced by tools/setup.sh and tools/fuzz.sh. apt_install WHO PACKAGE...: installs those of the
# Debian packages that are missing (apt-get, with sudo when not root; waits up to 300 s for the
# dpkg lock), saying so as WHO; returns at once when all are present.
apt_install() {
    local who=$1 p
    shift
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        echo "$who: all Debian packages present"
        return 0
    fi
    echo "$who: installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q -o DPkg::Lock::Timeout=300 "${missing[@]}"
}
