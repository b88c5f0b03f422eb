#!/bin/sh
# Builds c_tests/install/app.c and app.cc against an installed libraft the
# ways a user would, runs each program, and checks how it is linked:
#   pkg-config: C and C++, shared (NEEDED libraft.so.SOVERSION) and static
#               (-Wl,-Bstatic around `pkg-config --static --libs-only-l`)
#   CMake:      find_package(raft MAJOR.MINOR), raft::raft and
#               raft::raft_static, C and C++; find_package(raft MAJOR+1.0)
#               and find_package(raft MAJOR.MINOR+1) must be refused.
# usage: check.sh PREFIX OUTDIR VERSION SOVERSION   (CC and CXX from the environment)
set -eu
prefix=$1 out=$2 version=$3 soversion=$4
src=$(cd "$(dirname "$0")" && pwd)
major=${version%%.*}
minor=${version#*.}; minor=${minor%%.*}
cc=${CC:-cc} cxx=${CXX:-c++}
passed=0

fail() { echo "test-install: FAILED: $*" >&2; exit 1; }

# run BINARY shared|static: it must print "ok" and be linked as said.
run() {
    bin=$1 kind=$2
    "$bin" | grep -q ': ok$' || { "$bin"; fail "$bin"; }
    if readelf -d "$bin" | grep -q "NEEDED.*\[libraft\.so"; then
        [ "$kind" = shared ] || fail "$bin is linked statically but needs libraft.so"
        readelf -d "$bin" | grep -q "NEEDED.*\[libraft\.so\.$soversion\]" ||
            fail "$bin does not need libraft.so.$soversion (the soname)"
    else
        [ "$kind" = static ] || fail "$bin does not need libraft.so.$soversion"
    fi
    echo "  $bin ($kind): ok"
    passed=$((passed + 1))
}

readelf -d "$prefix/lib/libraft.so.$version" | grep -q "SONAME.*\[libraft\.so\.$soversion\]" ||
    fail "libraft.so.$version's soname is not libraft.so.$soversion"

echo "pkg-config:"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
pkg-config --exact-version="$version" raft || fail "pkg-config reports $(pkg-config --modversion raft), not $version"
mkdir -p "$out/pkgconfig"
cflags=$(pkg-config --cflags raft)
libs=$(pkg-config --libs raft)
static_libs="$(pkg-config --libs-only-L raft) -Wl,-Bstatic $(pkg-config --static --libs-only-l raft) -Wl,-Bdynamic"
# shellcheck disable=SC2086 # flags are word lists
{
    $cc -std=c99 -Wall -Wextra -Werror $cflags "$src/app.c" $libs -o "$out/pkgconfig/app_c_shared"
    $cxx -std=c++11 -Wall -Wextra -Werror $cflags "$src/app.cc" $libs -o "$out/pkgconfig/app_cxx_shared"
    $cc -std=c99 -Wall -Wextra -Werror $cflags "$src/app.c" $static_libs -o "$out/pkgconfig/app_c_static"
    $cxx -std=c++11 -Wall -Wextra -Werror $cflags "$src/app.cc" $static_libs -o "$out/pkgconfig/app_cxx_static"
}
for lang in c cxx; do
    run "$out/pkgconfig/app_${lang}_shared" shared
    run "$out/pkgconfig/app_${lang}_static" static
done

echo "CMake:"
build="$out/cmake"
rm -rf "$build"
cmake -S "$src" -B "$build" -DCMAKE_PREFIX_PATH="$prefix" -DRAFT_REQUIRED_VERSION="$major.$minor" \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" >"$out/cmake.log" 2>&1 ||
    { cat "$out/cmake.log"; fail "cmake could not configure with find_package(raft $major.$minor)"; }
grep -q "found raft $version in $prefix/lib/cmake/raft" "$out/cmake.log" || { cat "$out/cmake.log"; fail "cmake found another raft"; }
cmake --build "$build" >>"$out/cmake.log" 2>&1 || { cat "$out/cmake.log"; fail "cmake build"; }
for lang in c cxx; do
    run "$build/app_${lang}_shared" shared
    run "$build/app_${lang}_static" static
done
# A newer version than the one installed must be refused by the version file.
for newer in "$((major + 1)).0" "$major.$((minor + 1))"; do
    rm -rf "$build.newer"
    if cmake -S "$src" -B "$build.newer" -DCMAKE_PREFIX_PATH="$prefix" -DRAFT_REQUIRED_VERSION="$newer" \
        >"$out/cmake-newer.log" 2>&1; then
        fail "find_package(raft $newer) accepted version $version"
    fi
    grep -q "considered but not accepted" "$out/cmake-newer.log" &&
        grep -q "raft-config.cmake, version: $version\$" "$out/cmake-newer.log" ||
        { cat "$out/cmake-newer.log"; fail "find_package(raft $newer) failed for another reason"; }
    echo "  find_package(raft $newer) with $version installed: refused"
    passed=$((passed + 1))
done
rm -rf "$build.newer"

echo "test-install: $passed passed, 0 failed"
