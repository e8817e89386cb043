/* shim/fcntl.c - placeholder; see issue 4. */
