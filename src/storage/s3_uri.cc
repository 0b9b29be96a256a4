// Copyright 2026 The Wayback Authors.
//
// The s3:// URI parser. See s3_uri.h for the grammar and the precedence of
// URI, settings and environment.

#include "src/storage/s3_uri.h"

#include <cstdlib>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "src/util/errors.h"
#include "wayback/status.h"

namespace wayback::s3 {
namespace {

bool ConsumePrefix(std::string_view* s, std::string_view prefix) {
  if (s->substr(0, prefix.size()) != prefix) return false;
  s->remove_prefix(prefix.size());
  return true;
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

absl::StatusOr<std::string> PercentDecode(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (i + 2 >= in.size() || !absl::ascii_isxdigit(in[i + 1]) ||
          !absl::ascii_isxdigit(in[i + 2])) {
        return absl::InvalidArgumentError("bad % escape");
      }
      out.push_back(static_cast<char>(
          std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

absl::StatusOr<bool> ParseBool(std::string_view key, std::string_view v) {
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  return absl::InvalidArgumentError(
      absl::StrCat("s3 URI: ", AV(key), " must be true or false"));
}

template <typename T>
absl::Status ParseNumber(std::string_view key, std::string_view v, T min,
                         T* out) {
  int64_t n;
  if (!absl::SimpleAtoi(AV(v), &n) || n < static_cast<int64_t>(min)) {
    return absl::InvalidArgumentError(
        absl::StrCat("s3 URI: ", AV(key),
                     " must be an integer >= ", static_cast<int64_t>(min)));
  }
  *out = static_cast<T>(n);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<S3Options> ParseS3Uri(std::string_view uri,
                                     const S3Settings& settings) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed s3 URI \"", AV(uri), "\": ", AV(why)));
  };
  std::string_view rest = uri;
  if (!ConsumePrefix(&rest, "s3://") && !ConsumePrefix(&rest, "S3://")) {
    return bad("expected s3://bucket[/prefix]");
  }
  std::string_view query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  S3Options o;
  size_t slash = rest.find('/');
  o.bucket = std::string(rest.substr(0, slash));
  if (o.bucket.empty() || o.bucket.size() > 255) return bad("no bucket");
  for (char c : o.bucket) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '.' &&
        c != '-' && c != '_') {
      return bad("bucket names use a-z, 0-9, '.', '-', '_'");
    }
  }
  if (slash != std::string_view::npos) {
    std::string_view prefix = rest.substr(slash + 1);
    while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
    if (!prefix.empty()) {
      if (!ValidateObjectName(prefix).ok()) return bad("invalid prefix");
      o.prefix = absl::StrCat(AV(prefix), "/");
    }
  }
  o.endpoint = Env("AWS_ENDPOINT_URL_S3");
  if (o.endpoint.empty()) o.endpoint = Env("AWS_ENDPOINT_URL");
  std::string region = Env("AWS_REGION");
  if (region.empty()) region = Env("AWS_DEFAULT_REGION");
  if (!region.empty()) o.region = region;
  // A program's settings (flags) beat the environment; the URI beats both.
  if (!settings.endpoint.empty()) o.endpoint = settings.endpoint;
  if (!settings.region.empty()) o.region = settings.region;
  std::optional<bool> path_style;
  for (absl::string_view akv :
       absl::StrSplit(AV(query), '&', absl::SkipEmpty())) {
    std::string_view kv(akv.data(), akv.size());
    size_t eq = kv.find('=');
    std::string_view key = kv.substr(0, eq);
    absl::StatusOr<std::string> value =
        PercentDecode(eq == std::string_view::npos ? "" : kv.substr(eq + 1));
    if (!value.ok()) return bad(std::string(value.status().message()));
    if (key == "endpoint") {
      o.endpoint = *value;
    } else if (key == "region") {
      o.region = *value;
    } else if (key == "path_style") {
      WAYBACK_ASSIGN_OR_RETURN(path_style, ParseBool(key, *value));
    } else if (key == "verify_tls") {
      WAYBACK_ASSIGN_OR_RETURN(o.verify_tls, ParseBool(key, *value));
    } else if (key == "part_size") {
      WAYBACK_RETURN_IF_ERROR(
          ParseNumber<uint64_t>(key, *value, 1024, &o.part_size));
    } else if (key == "max_keys") {
      WAYBACK_RETURN_IF_ERROR(ParseNumber<int>(key, *value, 1, &o.max_keys));
    } else if (key == "max_attempts") {
      WAYBACK_RETURN_IF_ERROR(
          ParseNumber<int>(key, *value, 1, &o.max_attempts));
    } else if (key == "retry_base_ms") {
      WAYBACK_RETURN_IF_ERROR(
          ParseNumber<int>(key, *value, 0, &o.retry_base_ms));
    } else if (key == "stall_timeout_s") {
      WAYBACK_RETURN_IF_ERROR(
          ParseNumber<long>(key, *value, 1, &o.stall_timeout_s));
    } else if (key == "connect_timeout_ms") {
      WAYBACK_RETURN_IF_ERROR(
          ParseNumber<long>(key, *value, 1, &o.connect_timeout_ms));
    } else {
      return bad(absl::StrCat("unknown parameter \"", AV(key), "\""));
    }
  }
  if (o.region.empty()) return bad("empty region");
  if (o.endpoint.empty()) {
    o.endpoint = absl::StrCat("https://s3.", o.region, ".amazonaws.com");
    o.path_style = path_style.value_or(false);
  } else {
    o.path_style = path_style.value_or(true);
  }
  while (!o.endpoint.empty() && o.endpoint.back() == '/') o.endpoint.pop_back();
  std::string_view ep = o.endpoint;
  if (!ConsumePrefix(&ep, "http://") && !ConsumePrefix(&ep, "https://")) {
    return bad("endpoint must start with http:// or https://");
  }
  if (ep.empty() || ep.find_first_of("/?#@ ") != std::string_view::npos) {
    return bad("endpoint must be scheme://host[:port]");
  }
  o.credentials.access_key_id = Env("AWS_ACCESS_KEY_ID");
  o.credentials.secret_access_key = Env("AWS_SECRET_ACCESS_KEY");
  o.credentials.session_token = Env("AWS_SESSION_TOKEN");
  if (!settings.access_key_id.empty() || !settings.secret_access_key.empty()) {
    // One identity: never a key from the flags with a token from the
    // environment.
    o.credentials.access_key_id = settings.access_key_id;
    o.credentials.secret_access_key = settings.secret_access_key;
    o.credentials.session_token = settings.session_token;
  } else if (!settings.session_token.empty()) {
    o.credentials.session_token = settings.session_token;
  }
  o.uri = std::string(uri);
  return o;
}

}  // namespace wayback::s3
