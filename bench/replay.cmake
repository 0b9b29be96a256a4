# Replay benchmarks: Wayback's replay against RocksDB's own WAL recovery and
# the apply / decompression ceilings (the harness is src/bench, the same as
# `wayback bench replay`).
wayback_add_bench(replay_bench replay_bench.cc)
