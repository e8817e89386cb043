/* shim/accept.c - placeholder; see issue 4. */
