"""Benchmarks, apart from the app: a Django app that `bench.settings` installs for `make bench`
and `make bench-load`. `bench.data` is the one bulk-data generator, shared with the tests."""
