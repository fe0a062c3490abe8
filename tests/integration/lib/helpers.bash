# Helpers shared by the podrun suites, whichever of lib/podrun_suite.bash
# and lib/runtime.bash they load.

PODKIT_IT_LIB=$BATS_TEST_DIRNAME/lib
# python3 $CONSOLE_RECV SOCK: listens on SOCK, creates SOCK.ready, takes a
# pty master over SCM_RIGHTS and prints what it reads from it until EOF.
CONSOLE_RECV=$PODKIT_IT_LIB/console_recv.py

# build_seccomp_listener OUT: the seccomp notify listener
# (lib/seccomp_listener.c: `OUT SOCKET STATE-FILE`) compiled to OUT.
build_seccomp_listener() {
	cc -O1 -o "$1" "$PODKIT_IT_LIB/seccomp_listener.c"
}
