# shellcheck shell=bash
# Building knat for a guest; sourced by check.sh and demo.sh after lib.sh
# and boot.sh. Every build happens in a copy of the tree, so two kernels'
# objects never mix.

build_tree() { # build_tree NAME KDIR [make args]
	local name=$1 kdir=$2 dst=$KNAT_BUILD/$1 out
	shift 2
	mkdir -p "$dst"
	rsync -a --delete --exclude=.build --exclude=.git "$KNAT_TOP/" "$dst/"
	local what="build knat${1:+ ($*)} against $name kernel"
	if out=$(make -C "$dst" KDIR="$kdir" "$@" 2>&1); then
		tap_result 0 "$what"
	else
		tap_result 1 "$what" "$(tail -n 30 <<< "$out")"
		return 1
	fi
}

# dkms_build DIR KVER: knat.ko for KVER exactly as DKMS builds it for a
# user (dkms add + dkms build, in private DKMS trees), into DIR/module.
dkms_build() {
	local dir=$1 kver=$2 tree=$KNAT_BUILD/dkms ver out ko
	local opts=(--dkmstree "$tree/dkms" --sourcetree "$tree/source"
		--installtree "$tree/install")
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$dir/dkms.conf")
	rm -rf "$tree"
	mkdir -p "$tree/dkms" "$tree/source" "$tree/install"
	if out=$(dkms add "${opts[@]}" "$dir" 2>&1 &&
		dkms build "${opts[@]}" -m knat -v "$ver" -k "$kver" 2>&1); then
		ko=$(find "$tree/dkms/knat/$ver/$kver" -name 'knat.ko*' | head -n 1)
		case $ko in
		*.xz) xz -dc "$ko" > "$dir/module/knat.ko" ;;
		*) cp "$ko" "$dir/module/knat.ko" ;;
		esac
		tap_result 0 "dkms add + build knat $ver for $kver"
	else
		tap_result 1 "dkms add + build knat $ver for $kver" "$(tail -n 30 <<< "$out")"
		return 1
	fi
}

write_env() { # write_env OUTDIR BUILDDIR FLAVOUR [MODULES_DIR]
	cat > "$1/env.sh" <<-ENV
	KNAT_MODULES_DIR='${4:-}'
	KNAT_TOP='$KNAT_TOP'
	KNAT_BUILD_DIR='$2'
	KNAT_FLAVOUR='$3'
	KNAT_FILTER='${T:-}'
	KNAT_SCENARIO_TIMEOUT='$KNAT_SCENARIO_TIMEOUT'
	KNAT_SCENARIOS_ONLY='${KNAT_SCENARIOS_ONLY:-}'
	KNAT_EXTRA_MODULES='${KNAT_EXTRA_MODULES:-}'
	KNAT_EXTRA_KUNIT='${KNAT_EXTRA_KUNIT:-}'
	KNAT_EXTRA_E2E='${KNAT_EXTRA_E2E:-}'
	export KNAT_SOAK='${KNAT_SOAK:-}'
	export KNAT_TRACE='${KNAT_TRACE:-}'
	KNAT_GUEST_STALL='${KNAT_GUEST_STALL:-}'
	KNAT_RUNNER_EXIT='${KNAT_RUNNER_EXIT:-}'
	KNAT_DROP_SCENARIO='${KNAT_DROP_SCENARIO:-}'
	ENV
}
