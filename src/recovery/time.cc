// Copyright 2026 The Wayback Authors.
//
// Commit-time text: RFC 3339 with a mandatory offset, or "@<unix-ns>".
//
// Why hand-written rather than absl::ParseTime: absl accepts times without an
// offset (silently UTC or local), accepts leap second 60 (normalising it to
// the next minute), and its error messages do not show the accepted forms.
// A recovery target that is off by an hour or a second restores the wrong
// data, so every field is checked here explicitly, and the arithmetic is
// done with overflow checks so that no input (this parser is fuzzed) can wrap
// around into a plausible-looking instant.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/util/errors.h"
#include "wayback/recovery.h"

namespace wayback {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr int64_t kSecondsPerDay = 86'400;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil). Exact for every year this parser accepts (0000..9999).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// The inverse (civil_from_days).
void CivilFromDays(int64_t z, int64_t* y, int* m, int* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

absl::Status Bad(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid commit time \"", AV(text.substr(0, 80)),
      text.size() > 80 ? "..." : "", "\": ", AV(why),
      "; accepted forms: RFC 3339 with an explicit offset, e.g. "
      "2026-11-25T10:42:00.000001234Z or 2026-11-25T11:42:00+01:00 (up to 9 "
      "fractional digits), or @<unix-nanoseconds>, e.g. "
      "@1795602120000001234"));
}

// Reads exactly `n` ASCII digits at text[*pos].
bool Digits(std::string_view text, size_t* pos, int n, int64_t* out) {
  if (*pos + n > text.size()) return false;
  int64_t v = 0;
  for (int i = 0; i < n; ++i) {
    char c = text[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool Expect(std::string_view text, size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

absl::StatusOr<CommitTime> ParseUnixNanos(std::string_view text) {
  std::string_view s = text.substr(1);
  bool negative = false;
  if (!s.empty() && s[0] == '-') {
    negative = true;
    s.remove_prefix(1);
  }
  if (s.empty()) return Bad(text, "no digits after '@'");
  // Accumulate as a negative number so that INT64_MIN is representable.
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return Bad(text, "'@' must be followed by digits");
    int64_t next;
    if (__builtin_mul_overflow(v, 10, &next) ||
        __builtin_sub_overflow(next, c - '0', &next)) {
      return Bad(text, "out of the int64 nanosecond range");
    }
    v = next;
  }
  if (!negative) {
    if (v == INT64_MIN) return Bad(text, "out of the int64 nanosecond range");
    v = -v;
  }
  return v;
}

}  // namespace

std::string FormatCommitTime(CommitTime t) {
  // Floor division so that times before the epoch print as the instant
  // they are (e.g. -1 ns is 1969-12-31T23:59:59.999999999Z).
  int64_t secs = t / kNanosPerSecond;
  int64_t nanos = t % kNanosPerSecond;
  if (nanos < 0) {
    nanos += kNanosPerSecond;
    --secs;
  }
  int64_t days = secs / kSecondsPerDay;
  int64_t sod = secs % kSecondsPerDay;
  if (sod < 0) {
    sod += kSecondsPerDay;
    --days;
  }
  int64_t year = 0;
  int month = 0, day = 0;
  CivilFromDays(days, &year, &month, &day);
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d.%09dZ", year, month,
                         day, sod / 3600, (sod / 60) % 60, sod % 60, nanos);
}

absl::StatusOr<CommitTime> ParseCommitTime(std::string_view text) {
  if (text.empty()) return Bad(text, "empty");
  if (text[0] == '@') return ParseUnixNanos(text);

  size_t pos = 0;
  int64_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!Digits(text, &pos, 4, &year) || !Expect(text, &pos, '-') ||
      !Digits(text, &pos, 2, &month) || !Expect(text, &pos, '-') ||
      !Digits(text, &pos, 2, &day)) {
    return Bad(text, "expected a date YYYY-MM-DD");
  }
  if (pos >= text.size() ||
      (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) {
    return Bad(text, "expected 'T' and a time of day after the date");
  }
  ++pos;
  if (!Digits(text, &pos, 2, &hour) || !Expect(text, &pos, ':') ||
      !Digits(text, &pos, 2, &minute) || !Expect(text, &pos, ':') ||
      !Digits(text, &pos, 2, &second)) {
    return Bad(text, "expected a time of day HH:MM:SS");
  }
  int64_t fraction = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int n = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (++n > 9) return Bad(text, "more than 9 fractional digits");
      fraction = fraction * 10 + (text[pos] - '0');
      ++pos;
    }
    if (n == 0) return Bad(text, "no digits after the decimal point");
    for (; n < 9; ++n) fraction *= 10;
  }
  if (pos >= text.size()) {
    return Bad(text,
               "no UTC offset: a time without 'Z' or '+HH:MM' is ambiguous");
  }
  int64_t offset_seconds = 0;
  char c = text[pos];
  if (c == 'Z' || c == 'z') {
    ++pos;
  } else if (c == '+' || c == '-') {
    ++pos;
    int64_t oh, om;
    if (!Digits(text, &pos, 2, &oh) || !Expect(text, &pos, ':') ||
        !Digits(text, &pos, 2, &om)) {
      return Bad(text, "expected an offset 'Z' or +HH:MM / -HH:MM");
    }
    if (oh > 23 || om > 59) return Bad(text, "offset out of range");
    offset_seconds = (oh * 3600 + om * 60) * (c == '-' ? -1 : 1);
  } else {
    return Bad(text, "expected an offset 'Z' or +HH:MM / -HH:MM");
  }
  if (pos != text.size()) return Bad(text, "unexpected text after the offset");

  if (month < 1 || month > 12) return Bad(text, "month out of range");
  if (day < 1 || day > DaysInMonth(year, static_cast<int>(month))) {
    return Bad(text, "day out of range for the month");
  }
  if (hour > 23) return Bad(text, "hour out of range");
  if (minute > 59) return Bad(text, "minute out of range");
  if (second == 60) {
    return Bad(text,
               "leap second 60 is not representable in commit times (Unix "
               "time has no leap seconds)");
  }
  if (second > 59) return Bad(text, "second out of range");

  // Every quantity below is bounded (|days| < 4e6, so seconds < 4e11) except
  // the final multiplication into nanoseconds, which can leave int64.
  const int64_t seconds = DaysFromCivil(year, month, day) * kSecondsPerDay +
                          hour * 3600 + minute * 60 + second - offset_seconds;
  // Just above INT64_MIN the whole second alone is out of range while the
  // instant is not (…:43.145224192Z), so a negative second with a fraction is
  // computed as (seconds + 1) minus the remaining part of that second.
  int64_t whole = seconds;
  int64_t part = fraction;
  if (seconds < 0 && fraction > 0) {
    whole = seconds + 1;
    part = fraction - kNanosPerSecond;
  }
  int64_t nanos;
  if (__builtin_mul_overflow(whole, kNanosPerSecond, &nanos) ||
      __builtin_add_overflow(nanos, part, &nanos)) {
    return Bad(text,
               "out of the representable range (1677-09-21T00:12:43.145224192Z "
               "to 2262-04-11T23:47:16.854775807Z)");
  }
  return nanos;
}

}  // namespace wayback
