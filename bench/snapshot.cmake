# snapshot benchmarks: wayback_add_bench(snapshot_bench snapshot_bench.cc) once it exists.
