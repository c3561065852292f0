// SIGUSR2: this rank writes its stack to stderr (the node's console log), so a hung run
// says where each rank waits. `trn-train run` sends it to every rank of its node when
// it finds no step progress for launch.hang_timeout (launcher/heal/hang_watch.h); a
// user may send it by hand (`kill -USR2 <pid>`): the rank then carries on.
// The handler allocates nothing: the header is formatted at install time and
// backtrace() is called once then, so libgcc's unwinder is already loaded. The stack
// is of the thread that takes the signal: run sends it to the main thread (tgkill),
// the one that trains.
#pragma once

namespace trn::native {

void install_stack_dump(int rank);

}  // namespace trn::native
