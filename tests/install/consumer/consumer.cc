// Copyright 2026 The Wayback Authors.
//
// Uses only the installed public headers and library.

#include <cstdio>

#include "wayback/storage.h"
#include "wayback/types.h"

int main() {
  wayback::StateDigest a, b;
  a.Add("patient/1", "{}");
  a.Add("patient/2", "{\"x\":1}");
  b.Add("patient/2", "{\"x\":1}");
  b.Add("patient/1", "{}");
  if (!(a == b) || a.count != 2) {
    std::fprintf(stderr, "digest mismatch\n");
    return 1;
  }
  std::unique_ptr<wayback::Storage> storage = wayback::NewMemoryStorage();
  if (!storage->WriteAll("hello", "world").ok()) return 1;
  auto data = storage->ReadAll("hello");
  if (!data.ok() || *data != "world") {
    std::fprintf(stderr, "storage round trip failed\n");
    return 1;
  }
  std::printf("consumer ok: %s\n", a.ToString().c_str());
  return 0;
}
