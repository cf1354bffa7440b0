#!/bin/sh
# Installs what the real-containerd test bed (test/harness) needs on Debian/Ubuntu, as root:
# containerd (with its CRI plugin and ctr), runc, skopeo, docker-registry, busybox-static,
# and the scanner tests' fixture tools (zstd, db5.3-util).
# Idempotent: a no-op when everything is present; apt-get update runs only if something is missing.
set -eu

# command -> Debian package that provides it
# zstd and db5.3_load build scanner fixtures (zstd layers, BerkeleyDB rpm databases).
REQUIRED="containerd:containerd ctr:containerd runc:runc skopeo:skopeo
docker-registry:docker-registry busybox:busybox-static umount:mount zstd:zstd
db5.3_load:db5.3-util"

missing=""
for pair in $REQUIRED; do
  cmd=${pair%%:*}
  pkg=${pair#*:}
  if ! command -v "$cmd" >/dev/null 2>&1; then
    case " $missing " in
      *" $pkg "*) ;;
      *) missing="$missing $pkg" ;;
    esac
  fi
done

# Images get /bin/busybox copied in, so it must be the static build, not Debian's `busybox`.
if ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed'; then
  case " $missing " in
    *" busybox-static "*) ;;
    *) missing="$missing busybox-static" ;;
  esac
fi

if [ -n "$missing" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages:$missing; run as root" >&2
    exit 1
  fi
  echo "install-deps: installing$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086 # word splitting of the package list is intended
  apt-get install -y -qq --no-install-recommends $missing
else
  echo "install-deps: all test-bed tools present" >&2
fi

# kubectl is not a Debian package; machines of this kind ship it. Without it the one test that
# renders deploy/ with `kubectl kustomize` is skipped (and says so), so say it here too.
if ! command -v kubectl >/dev/null 2>&1; then
  echo "install-deps: kubectl not found; the deploy/ rendering test will be skipped" >&2
fi

# containerd 1.6 puts shim sockets here whatever its config says.
mkdir -p /run/containerd/s
