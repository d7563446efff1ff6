//! Benchmark harness helpers; the binaries print machine-readable results that
//! scripts/bench.sh turns into the README's tables.
