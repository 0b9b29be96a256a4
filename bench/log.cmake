# log benchmarks: wayback_add_bench(log_bench log_bench.cc) once it exists.
