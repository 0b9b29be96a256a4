# replay benchmarks: wayback_add_bench(replay_bench replay_bench.cc) once it exists.
