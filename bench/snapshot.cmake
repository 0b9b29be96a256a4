# snapshot benchmarks: write and read throughput over a grid of block sizes.
wayback_add_bench(snapshot_bench snapshot_bench.cc)
