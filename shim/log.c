/* shim/log.c - placeholder; see issue 4. */
