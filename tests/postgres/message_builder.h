// Copyright 2026 The Wayback Authors.
//
// Builds replication-protocol and pgoutput messages byte by byte, big-endian
// as the server writes them, for tests of the decoders and of the capture
// over a scripted stream:
//   Msg().C('B').U64(final_lsn).U64(commit_time).U32(xid).b

#ifndef WAYBACK_TESTS_POSTGRES_MESSAGE_BUILDER_H_
#define WAYBACK_TESTS_POSTGRES_MESSAGE_BUILDER_H_

#include <cstdint>
#include <string>

namespace wayback::postgres {

struct Msg {
  std::string b;
  Msg& C(char c) {
    b.push_back(c);
    return *this;
  }
  Msg& U16(uint16_t v) { return Be(v, 2); }
  Msg& U32(uint32_t v) { return Be(v, 4); }
  Msg& U64(uint64_t v) { return Be(v, 8); }
  // A NUL-terminated string.
  Msg& S(const std::string& s) {
    b += s;
    b.push_back('\0');
    return *this;
  }
  Msg& Raw(const std::string& s) {
    b += s;
    return *this;
  }
  Msg& Be(uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) {
      b.push_back(static_cast<char>(v >> (8 * i)));
    }
    return *this;
  }
  // A TupleData text column: 't', length, bytes.
  Msg& Text(const std::string& s) {
    C('t');
    U32(static_cast<uint32_t>(s.size()));
    return Raw(s);
  }
};

}  // namespace wayback::postgres

#endif  // WAYBACK_TESTS_POSTGRES_MESSAGE_BUILDER_H_
