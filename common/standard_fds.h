// A process started with stdin, stdout or stderr closed (a daemon's child, `>&- 2>&-`)
// hands descriptor 0, 1 or 2 to the next file it opens: a log opened then as fd 1 gets
// every line printed to "stdout" as well, and a backend started with that descriptor
// as its stdout writes into it directly. Daemons open /dev/null on the closed ones
// first; so does this, before anything else opens a file.
#pragma once

#include <string>

namespace trn {

// Opens /dev/null on each of 0, 1, 2 that is closed. False (with *error) when that is
// impossible; the process should then stop, as it cannot even say why on stderr.
bool open_standard_fds(std::string* error);

}  // namespace trn
