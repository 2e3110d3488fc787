#!/bin/bash
# fuzz/run.sh: builds LiveUpdate.Fuzzing, instruments the parser assemblies with SharpFuzz
# (the dotnet tool of .config/dotnet-tools.json) and runs AFL++ (Debian's afl++) on targets.
#   fuzz/run.sh [TARGET|all] [EXECUTIONS] [SECONDS]
# stops each target after EXECUTIONS executions (default 1000000) or SECONDS (default none),
# whichever comes first. Findings go to $FUZZ_OUT (default fuzz/out/<target>/), the figures are
# AFL's fuzzer_stats there. Runs niced: other work shares the machine.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
target="${1:-all}"
executions="${2:-1000000}"
seconds="${3:-}"
out="${FUZZ_OUT:-$here/out}"
bin="${FUZZ_BIN:-$out/bin}"
targets=(varlink-framing protocol-parameters daemon-abi preflight telemetry lucache-text kho-handover)
[ "$target" = all ] || targets=("$target")

export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 \
       AFL_NO_UI=1 AFL_SKIP_BIN_CHECK=1 AFL_NO_CRASH_README=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 \
       DOTNET_TieredPGO=0

if [ ! -f "$bin/.instrumented" ]; then
  (cd "$root" && dotnet tool restore >/dev/null)
  dotnet build "$here/LiveUpdate.Fuzzing/LiveUpdate.Fuzzing.csproj" -c Release -o "$bin" >/dev/null
  for assembly in LiveUpdate.Varlink LiveUpdate.Protocol luod LiveUpdate.Preflight LiveUpdate.Telemetry LiveUpdate.Kernel lucache; do
    (cd "$root" && dotnet sharpfuzz "$bin/$assembly.dll" | grep -v "already instrumented" || true)
  done
  touch "$bin/.instrumented"
fi

mkdir -p "$out"
status=0
for name in "${targets[@]}"; do
  findings="$out/$name"
  rm -rf "$findings"
  limit=(-E "$executions")
  [ -z "$seconds" ] || limit+=(-V "$seconds")
  nice -n 19 afl-fuzz -i "$here/corpus/$name" -o "$findings" "${limit[@]}" -t 10000 -m none \
    -- dotnet "$bin/LiveUpdate.Fuzzing.dll" "$name" >"$out/$name.log" 2>&1 || { echo "$name: afl-fuzz failed, see $out/$name.log"; status=1; continue; }
  stats="$findings/default/fuzzer_stats"
  get() { awk -F' *: *' -v k="$1" '$1==k {print $2}' "$stats"; }
  crashes=$(find "$findings/default/crashes" -type f -name 'id:*' | wc -l)
  hangs=$(find "$findings/default/hangs" -type f -name 'id:*' | wc -l)
  echo "$name: execs_done=$(get execs_done) execs_per_sec=$(get execs_per_sec) run_time=$(get run_time)s corpus_count=$(get corpus_count) crashes=$crashes hangs=$hangs"
  [ "$crashes" -eq 0 ] && [ "$hangs" -eq 0 ] || status=1
done
exit $status
