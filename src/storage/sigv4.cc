// Copyright 2026 The Wayback Authors.

#include "src/storage/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/md5.h>
#include <openssl/sha.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/util/errors.h"

namespace wayback::s3 {
namespace {

// SigV4 "Trimall": strip leading/trailing spaces, squeeze inner runs.
std::string TrimAll(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         digest);
  return HexEncode(
      std::string_view(reinterpret_cast<char*>(digest), sizeof(digest)));
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
       &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

static std::string Md5Raw(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<char*>(digest), len);
}

std::string Md5Base64(std::string_view data) {
  return absl::Base64Escape(Md5Raw(data));
}

std::string Md5Hex(std::string_view data) { return HexEncode(Md5Raw(data)); }

std::string AmzDate(absl::Time t) {
  return absl::FormatTime("%Y%m%dT%H%M%SZ", t, absl::UTCTimeZone());
}

std::string UriEncode(std::string_view s, bool encode_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' ||
        c == '~' || (c == '/' && !encode_slash)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string CanonicalQueryString(const HeaderList& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  for (const auto& [k, v] : query) {
    encoded.emplace_back(UriEncode(k, true), UriEncode(v, true));
  }
  std::sort(encoded.begin(), encoded.end());
  std::vector<std::string> parts;
  for (const auto& [k, v] : encoded) parts.push_back(absl::StrCat(k, "=", v));
  return absl::StrJoin(parts, "&");
}

SignedRequest SignV4(const SigV4Request& request,
                     const AwsCredentials& credentials, std::string_view region,
                     std::string_view service, std::string_view amz_date) {
  SignedRequest out;
  HeaderList& headers = out.headers;
  headers.emplace_back("host", request.host);
  headers.emplace_back("x-amz-date", std::string(amz_date));
  headers.emplace_back("x-amz-content-sha256", request.payload_sha256);
  if (!credentials.session_token.empty()) {
    headers.emplace_back("x-amz-security-token", credentials.session_token);
  }
  for (const auto& [name, value] : request.headers) {
    headers.emplace_back(absl::AsciiStrToLower(name), TrimAll(value));
  }
  // Stable sort keeps repeated headers in order; they are joined by ','.
  std::stable_sort(
      headers.begin(), headers.end(),
      [](const auto& a, const auto& b) { return a.first < b.first; });

  std::string canonical_headers;
  std::vector<std::string> names;
  for (size_t i = 0; i < headers.size(); ++i) {
    if (i > 0 && headers[i].first == headers[i - 1].first) {
      absl::StrAppend(&canonical_headers, ",", headers[i].second);
      continue;
    }
    if (i > 0) canonical_headers.push_back('\n');
    absl::StrAppend(&canonical_headers, headers[i].first, ":",
                    headers[i].second);
    names.push_back(headers[i].first);
  }
  canonical_headers.push_back('\n');
  const std::string signed_headers = absl::StrJoin(names, ";");

  out.canonical_request =
      absl::StrCat(request.method, "\n", request.encoded_path, "\n",
                   CanonicalQueryString(request.query), "\n", canonical_headers,
                   "\n", signed_headers, "\n", request.payload_sha256);
  const std::string_view date = amz_date.substr(0, 8);
  const std::string scope = absl::StrCat(AV(date), "/", AV(region), "/",
                                         AV(service), "/aws4_request");
  out.string_to_sign =
      absl::StrCat("AWS4-HMAC-SHA256\n", AV(amz_date), "\n", scope, "\n",
                   Sha256Hex(out.canonical_request));
  std::string key =
      HmacSha256(absl::StrCat("AWS4", credentials.secret_access_key), date);
  key = HmacSha256(key, region);
  key = HmacSha256(key, service);
  key = HmacSha256(key, "aws4_request");
  const std::string signature = HexEncode(HmacSha256(key, out.string_to_sign));
  out.authorization = absl::StrCat(
      "AWS4-HMAC-SHA256 Credential=", credentials.access_key_id, "/", scope,
      ", SignedHeaders=", signed_headers, ", Signature=", signature);
  return out;
}

}  // namespace wayback::s3
