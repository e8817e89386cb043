/* shim/sockopt.c - placeholder; see issue 4. */
