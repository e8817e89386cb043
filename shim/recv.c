/* shim/recv.c - placeholder; see issue 4. */
