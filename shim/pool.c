/* shim/pool.c - placeholder; see issue 4. */
