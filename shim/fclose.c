/* shim/fclose.c - placeholder; see issue 4. */
