# log benchmarks: write/read throughput per zstd level, the zstd ceiling, and
# synced append latency with concurrent committers.
wayback_add_bench(log_bench log_bench.cc)
