#!/usr/bin/env bash
# Runs every LiveUpdate test: the host unit tests and the VM scenarios that boot the real
# 7.2/7.3 kernels under QEMU and cross real kexecs. Installs what it needs (root for apt),
# builds or reuses the cached kernels (first build ≈ 7 min each), and ends with the line
# "N passed, N failed" counted over every test of every project.
set -euo pipefail
cd "$(dirname "$0")"

bash vm/install-deps.sh

echo "== build (Release, warnings are errors)"
dotnet build LiveUpdate.sln -c Release -nologo -v quiet

echo "== kernels and guest payload (cached under ${LIVEUPDATE_CACHE:-$HOME/.cache/liveupdate})"
dotnet run -c Release --no-build --project src/LiveUpdate.VmHarness -- kernels --series 7.2 --series 7.3
echo "== Debian's own 7.2 kernel image (the preflight tests' NO-GO case; cached)"
dotnet run -c Release --no-build --project src/LiveUpdate.VmHarness -- debian-kernel --series 7.2

results=artifacts/test-results
rm -rf "$results"
status=0
for project in tests/*/*.csproj; do
    name=$(basename "$project" .csproj)
    echo "== $name"
    dotnet test "$project" -c Release --no-build -nologo \
        --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
        --results-directory "$results" || status=1
done

passed=0 failed=0 skipped=0
for trx in "$results"/*.trx; do
    [ -e "$trx" ] || continue
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
    value() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
    passed=$((passed + $(value passed)))
    failed=$((failed + $(value failed) + $(value error) + $(value timeout) + $(value aborted)))
    skipped=$((skipped + $(value notExecuted)))
done
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
    echo "no test results were written to $results" >&2
    failed=1
fi
# The names and messages of failed tests, just above the count: a CI log may keep only its end.
perl tests/failed-tests.pl "$results"/*.trx 2>/dev/null || true
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
