/* shim/dup.c - placeholder; see issue 4. */
