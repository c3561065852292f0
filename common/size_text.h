// Sizes as people write them: "200G", "1.5T", "512M", "1000" (binary units).
#pragma once

#include <cstdint>
#include <string>

namespace trn {

// Bytes for "200G", "1.5T", "512M", "1000"; false on junk, a negative, or a size
// past 2^63 bytes (so "1e30" is refused rather than wrapping).
bool parse_size(const std::string& text, uint64_t* bytes);
// 1536 -> "1.5 KiB".
std::string format_size(uint64_t bytes);

}  // namespace trn
