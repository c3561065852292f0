// Strict number fields for the cache's record files (done marker, failure record,
// lock, stats shard). Any user of a shared cache can write those files, so a value is
// taken only when the whole field is a number in range: atol/atof would turn
// "99999999999999999999" or "nan" into undefined or poisonous values.
#pragma once

#include <cstdint>
#include <string_view>

namespace trn::cache {

// Decimal digits only (no sign, no spaces), at most UINT64_MAX.
bool parse_u64_field(std::string_view text, uint64_t* out);
// An optional '-' then digits, within [lo, hi].
bool parse_int_field(std::string_view text, long long lo, long long hi, long long* out);
// A finite decimal number (strtod syntax, no trailing characters), at most 64 characters.
bool parse_finite_field(std::string_view text, double* out);

}  // namespace trn::cache
