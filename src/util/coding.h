// Copyright 2026 The Wayback Authors.
//
// Little-endian fixed-width and LEB128 varint encoding, leveldb style. The
// Get* functions consume from the front of a string_view and return false on
// truncated or overlong input (never read past the end).

#ifndef WAYBACK_SRC_UTIL_CODING_H_
#define WAYBACK_SRC_UTIL_CODING_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace wayback {

inline void EncodeFixed16(char* dst, uint16_t v) { std::memcpy(dst, &v, 2); }
inline void EncodeFixed32(char* dst, uint32_t v) { std::memcpy(dst, &v, 4); }
inline void EncodeFixed64(char* dst, uint64_t v) { std::memcpy(dst, &v, 8); }
inline uint16_t DecodeFixed16(const char* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
inline uint32_t DecodeFixed32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t DecodeFixed64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
static_assert(
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
    "Wayback's formats are little-endian; add byte swaps for this CPU");

inline void PutFixed16(std::string* dst, uint16_t v) {
  char b[2];
  EncodeFixed16(b, v);
  dst->append(b, 2);
}
inline void PutFixed32(std::string* dst, uint32_t v) {
  char b[4];
  EncodeFixed32(b, v);
  dst->append(b, 4);
}
inline void PutFixed64(std::string* dst, uint64_t v) {
  char b[8];
  EncodeFixed64(b, v);
  dst->append(b, 8);
}

// Writes a varint at dst (which must have room for 10 bytes); returns the end.
inline char* EncodeVarint64(char* dst, uint64_t v) {
  auto* p = reinterpret_cast<unsigned char*>(dst);
  while (v >= 0x80) {
    *p++ = static_cast<unsigned char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<unsigned char>(v);
  return reinterpret_cast<char*>(p);
}
inline void PutVarint64(std::string* dst, uint64_t v) {
  char b[10];
  dst->append(b, EncodeVarint64(b, v) - b);
}
inline void PutVarint32(std::string* dst, uint32_t v) { PutVarint64(dst, v); }
inline int VarintLength(uint64_t v) {
  int n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
// Varint length followed by the bytes.
inline void PutLengthPrefixed(std::string* dst, std::string_view s) {
  PutVarint64(dst, s.size());
  dst->append(s.data(), s.size());
}

inline bool GetFixed32(std::string_view* in, uint32_t* v) {
  if (in->size() < 4) return false;
  *v = DecodeFixed32(in->data());
  in->remove_prefix(4);
  return true;
}
inline bool GetFixed64(std::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  *v = DecodeFixed64(in->data());
  in->remove_prefix(8);
  return true;
}
// At most 10 bytes; the 10th may only carry the top bit.
inline bool GetVarint64(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(in->data());
  size_t n = in->size();
  for (size_t i = 0, shift = 0; i < n && i < 10; ++i, shift += 7) {
    uint64_t byte = p[i];
    if (i == 9 && byte > 1) return false;
    result |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      *v = result;
      in->remove_prefix(i + 1);
      return true;
    }
  }
  return false;
}
inline bool GetVarint32(std::string_view* in, uint32_t* v) {
  uint64_t x;
  std::string_view save = *in;
  if (!GetVarint64(in, &x) || x > UINT32_MAX) {
    *in = save;
    return false;
  }
  *v = static_cast<uint32_t>(x);
  return true;
}
inline bool GetLengthPrefixed(std::string_view* in, std::string_view* out) {
  uint64_t len;
  std::string_view save = *in;
  if (!GetVarint64(in, &len) || len > in->size()) {
    *in = save;
    return false;
  }
  *out = in->substr(0, len);
  in->remove_prefix(len);
  return true;
}

// Parses lowercase hexadecimal digits (as object names are written; no
// uppercase, no prefix) into *out. False for any other character. The caller
// bounds the length (16 digits fit).
inline bool ParseLowerHex(std::string_view digits, uint64_t* out) {
  uint64_t v = 0;
  for (char c : digits) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return false;
    }
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

}  // namespace wayback

#endif  // WAYBACK_SRC_UTIL_CODING_H_
